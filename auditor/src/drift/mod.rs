//! `tfaudit drift`: compares what the state believes with what exists.
//!
//! * [`refresh`] reads the `resource_drift` of a refresh-only plan
//!   (`terraform plan -refresh-only -out P && terraform show -json P`);
//! * [`live`] asks the Hetzner Cloud API directly;
//! * [`ignore`] holds the per-type lists of noisy attributes (`[drift.ignore]`);
//! * [`rules`] holds one module per rule.
//!
//! May import: `findings`, `error`, `input_kind`, `registry`, `hcloud`, `plan`, `redact`, `state`; nothing above.

pub mod ignore;
pub mod live;
pub mod refresh;
pub mod rules;

/// Problems that stop a drift run.
#[derive(Debug, thiserror::Error)]
pub enum DriftError {
    #[error(transparent)]
    Input(#[from] crate::error::InputError),
    #[error(transparent)]
    Hcloud(#[from] crate::hcloud::HcloudError),
}
