//! How locks read to people: the sentences of `guardrail_core::gate`, and the
//! expiry as a Terraform attribute.

use guardrail_core::lock::LockRecord;

pub use guardrail_core::gate::describe_lock as describe;

/// The expiry as RFC 3339, when the lock has one.
pub fn expires_at_text(record: &LockRecord) -> Option<String> {
    record.expires_at.map(|at| at.to_rfc3339())
}
