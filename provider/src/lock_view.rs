//! How locks read to people: one sentence naming the holder, the reason and the expiry.

use guardrail_core::lock::LockRecord;

/// "held by alice (INC-4711: failover) since ..., expires ..."
pub fn describe(record: &LockRecord) -> String {
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
    match expires_at_text(record) {
        Some(at) => format!("expires {at}"),
        None => "no expiry".to_string(),
    }
}

/// The expiry as RFC 3339, when the lock has one.
pub fn expires_at_text(record: &LockRecord) -> Option<String> {
    record.expires_at.map(|at| at.to_rfc3339())
}
