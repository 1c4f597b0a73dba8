//! How gate facts read to people: one sentence per lock, window or attestation.

use crate::lock::LockRecord;

/// "held by alice (INC-4711: failover) since ..., expires ..."
pub fn describe_lock(record: &LockRecord) -> String {
    format!(
        "held by {} ({}) since {}, {}",
        record.owner,
        record.reason,
        record.acquired_at.to_rfc3339(),
        expiry_phrase(record)
    )
}

/// "expires 2026-11-24T12:00:00+00:00" or "no expiry".
pub fn expiry_phrase(record: &LockRecord) -> String {
    match record.expires_at {
        Some(at) => format!("expires {}", at.to_rfc3339()),
        None => "no expiry".to_string(),
    }
}
