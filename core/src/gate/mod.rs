//! The change gate's decision, in one home for every caller: the Terraform
//! provider's `guardrail_change_gate`, `tfaudit gate` (image promotions, Flux
//! changes, runbook steps) and the advisor.
//!
//! [`decide`] is a pure function from what the gate knows (the lock it read, the
//! change window, the attestation envelope and its spent marker, break glass and
//! the clocks) to a [`Decision`]: allowed, allowed with break glass, or denied,
//! with every reason as data. [`observe`] reads those facts from the store,
//! [`conclude`] spends the attestation of an allowed apply and writes the audit
//! record. Imports: the store, locks, attestations, windows and audit records of
//! this crate; nothing above it.
//!
//! May import: `window`, `lock`, `attestation`, `audit_record`, `store`, `environment`, `actor`, `digest`; never the provider or `tfaudit`.

mod decide;
mod observe;
pub mod reservation;
mod text;

pub use decide::{decide, AttestationProblem, Blocker, Decision, Outcome};
pub use observe::{conclude, observe, Concluded, GateError};
pub use text::{describe_lock, expiry_phrase};

use chrono::{DateTime, Utc};
use ed25519_dalek::VerifyingKey;

use crate::attestation::{Envelope, SpentRecord};
use crate::audit_record::{BreakGlass, ClockOverride};
use crate::lock::LockRecord;
use crate::window::ChangeWindow;

/// When the gate is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// A plan: the freeze and the window are checked; attestations do not exist yet.
    Plan,
    /// The change itself: everything is checked, and the attestation is spent.
    Apply,
}

/// What a caller asks the gate.
#[derive(Debug, Clone)]
pub struct GateRequest {
    pub environment: String,
    pub phase: Phase,
    /// The plan being applied; empty for changes that are not Terraform plans.
    pub plan_id: String,
    /// The instant the freeze and the window are judged at: the system clock,
    /// or the override of a lab (see `clock_override`).
    pub now: DateTime<Utc>,
    /// Set when `now` is not the system clock.
    pub clock_override: Option<ClockOverride>,
    pub window: Option<ChangeWindow>,
    pub break_glass: Option<BreakGlass>,
    /// `Some` when the change needs a valid attestation for `plan_id`.
    pub attestation: Option<AttestationPolicy>,
}

/// Which keys an attestation must be signed by.
#[derive(Debug, Clone)]
pub struct AttestationPolicy {
    pub trusted_keys: Vec<VerifyingKey>,
}

/// One fact read from the store.
#[derive(Debug, Clone, PartialEq)]
pub enum Observed<T> {
    /// Not needed for this request, so not read.
    NotRead,
    /// Read: there is none.
    Absent,
    Found(T),
    /// The store could not be read; the gate fails closed.
    Unreadable(String),
}

impl<T> Observed<T> {
    /// The value, when one was found.
    pub fn found(&self) -> Option<&T> {
        match self {
            Observed::Found(value) => Some(value),
            _ => None,
        }
    }
}

/// Everything the gate read from the store for one request.
#[derive(Debug, Clone)]
pub struct Observations {
    /// The lock record (live, released or expired).
    pub lock: Observed<LockRecord>,
    pub envelope: Observed<Envelope>,
    pub spent: Observed<SpentRecord>,
    /// The system clock when the facts were read: attestation expiry is judged
    /// on it, never on an override.
    pub system_now: DateTime<Utc>,
}

#[cfg(test)]
mod tests;
