//! What `configure` prepares for every resource and data source, handed to them
//! as a client is: the environment, the store, the trusted attestation keys and
//! the clock ([`Configured`]), behind the [`Shared`] slot they hold from before
//! Terraform configures the provider.
//!
//! May import: `clock` and `guardrail_core`; never `provider`, `resources` or
//! `data_sources`, which import it.

use std::sync::Arc;

use guardrail_core::store::{Store, StoreError};
use tf_provider::Diagnostics;
use tokio::sync::RwLock;

use crate::clock::Clock;

/// The store as resources see it after `configure`.
pub enum StoreAccess {
    /// Connected (the store probes the endpoint's conditional writes before
    /// its first one).
    Ready(Store),
    /// The configuration has no `store` block.
    NotConfigured,
    /// The `store` block depends on values unknown until apply.
    Deferred,
}

/// Everything `configure` prepared.
pub struct Configured {
    /// The provider's `environment`, when set.
    pub environment: Option<String>,
    pub store: StoreAccess,
    /// `attestation_public_keys` as given (parsed when a gate verifies).
    pub attestation_public_keys: Vec<String>,
    pub clock: Clock,
}

impl Configured {
    /// The store, or an error diagnostic (at `path`) saying why it cannot be used.
    pub fn store(&self, diags: &mut Diagnostics, what: &str) -> Option<&Store> {
        match &self.store {
            StoreAccess::Ready(store) => Some(store),
            StoreAccess::NotConfigured => {
                diags.root_error(
                    "A store block is required",
                    format!(
                        "{what} keeps its records in the store. Add a `store {{ bucket = \"...\" }}` \
                         block to the `provider \"guardrail\"` configuration."
                    ),
                );
                None
            }
            StoreAccess::Deferred => {
                diags.root_error(
                    "The store is not known yet",
                    format!(
                        "{what} needs the provider's store, whose configuration depends on values \
                         known only after apply."
                    ),
                );
                None
            }
        }
    }

    /// True when the store configuration is still unknown (plan of a fresh configuration).
    pub fn store_deferred(&self) -> bool {
        matches!(self.store, StoreAccess::Deferred)
    }
}

/// State shared between the provider and its resources (they are created before
/// Terraform configures the provider).
#[derive(Default)]
pub struct Shared {
    configured: RwLock<Option<Arc<Configured>>>,
}

impl Shared {
    /// Keeps what `configure` prepared for every resource and data source.
    pub async fn set(&self, configured: Configured) {
        *self.configured.write().await = Some(Arc::new(configured));
    }

    /// What `configure` prepared, or an error diagnostic when it has not run.
    pub async fn get(&self, diags: &mut Diagnostics) -> Option<Arc<Configured>> {
        let configured = self.configured.read().await.clone();
        if configured.is_none() {
            diags.root_error(
                "Provider not configured",
                "The guardrail provider was used before Terraform configured it.",
            );
        }
        configured
    }
}

/// The summary and detail of a store that cannot be used as the guardrails
/// need: unreachable, or ignoring the conditional writes locks depend on.
pub fn store_diagnostic(store: &Store, error: &StoreError) -> (&'static str, String) {
    let bucket = store.bucket();
    match error {
        StoreError::Unreachable { .. } => (
            "Cannot reach the guardrail store",
            format!("bucket {bucket:?}: {error}"),
        ),
        StoreError::ConditionalWritesIgnored { .. } => (
            "The store does not honour conditional writes",
            format!(
                "bucket {bucket:?}: {error}. Locks and audit records depend on If-None-Match and \
                 If-Match; an endpoint that ignores them would let two people hold the same \
                 lock, so the provider refuses it."
            ),
        ),
        _ => (
            "Cannot use the guardrail store",
            format!("bucket {bucket:?}: {error}"),
        ),
    }
}
