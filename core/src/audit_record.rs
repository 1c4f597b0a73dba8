//! The change gate's audit trail: one immutable object per gate decision under
//! `audit/<environment>/`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{PutOutcome, Store, StoreError};

/// One gate decision, or one lock operation. Build with `..Default::default()`
/// so that fields added later keep every writer compiling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub environment: String,
    pub plan_id: String,
    /// `allowed`, `allowed-break-glass` or `denied`.
    pub decision: String,
    pub who: String,
    pub at: DateTime<Utc>,
    /// Why: the checks that failed, or that were overridden.
    pub reasons: Vec<String>,
    pub break_glass: Option<BreakGlass>,
    /// The environment lock's generation at decision time, when a lock record exists.
    pub lock_generation: Option<u64>,
    /// What was decided or done: `gate` (a change gate or `tfaudit gate`), or a
    /// lock operation (`lock-acquire`, `lock-release`, `lock-takeover`, `lock-adopt`).
    #[serde(default = "gate_action")]
    pub action: String,
    /// Set when the decision was taken on an overridden clock (labs and tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_override: Option<ClockOverride>,
    /// True when this decision spent the attestation of `plan_id`
    /// (`attestations/<environment>/<plan_id>.spent.json` must then exist).
    #[serde(default)]
    pub attestation_spent: bool,
    /// For lock operations: the lock record as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<crate::lock::LockRecord>,
    /// Position in the environment's hash chain (1 for the first record).
    #[serde(default)]
    pub sequence: u64,
    /// `sha256:<hex>` of the previous record's stored bytes; `None` for the first.
    #[serde(default)]
    pub previous_digest: Option<String>,
}

fn gate_action() -> String {
    "gate".to_string()
}

/// A decision taken on a clock other than the system clock.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockOverride {
    /// Where the override came from: `provider attribute now` or `GUARDRAIL_NOW`.
    pub source: String,
    /// The overridden "now" the decision used.
    pub simulated_now: DateTime<Utc>,
    /// The system clock at the same moment.
    pub system_now: DateTime<Utc>,
}

/// An emergency override.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlass {
    pub reason: String,
    pub ticket: String,
}

/// `audit/<environment>/<YYYYMMDDTHHMMSS.ffffffZ>-<plan_id>.json`
pub fn record_key(record: &AuditRecord) -> String {
    format!(
        "audit/{}/{}-{}.json",
        record.environment,
        record.at.format("%Y%m%dT%H%M%S%.6fZ"),
        record.plan_id
    )
}

/// Writes a record; never overwrites an existing one (a clash gets a suffix).
pub async fn write(store: &Store, record: &AuditRecord) -> Result<String, StoreError> {
    let body = serde_json::to_vec_pretty(record).expect("an audit record serialises");
    let base = record_key(record);
    let mut key = base.clone();
    for attempt in 1..=5 {
        match store.put_if_absent(&key, body.clone()).await? {
            PutOutcome::Written { .. } => return Ok(key),
            PutOutcome::PreconditionFailed => {
                key = format!("{}-{attempt}.json", base.trim_end_matches(".json"));
            }
        }
    }
    // Five clashes in the same microsecond for the same plan: fall back to a unique key.
    let key = format!(
        "{}-{}.json",
        base.trim_end_matches(".json"),
        uuid::Uuid::new_v4()
    );
    store.put_if_absent(&key, body).await?;
    Ok(key)
}

/// Every record of an environment, oldest first. Unreadable objects are skipped
/// with a warning.
pub async fn list(store: &Store, environment: &str) -> Result<Vec<AuditRecord>, StoreError> {
    let mut records = Vec::new();
    for key in store.list(&format!("audit/{environment}/")).await? {
        if let Some(object) = store.get(&key).await? {
            match serde_json::from_slice::<AuditRecord>(&object.body) {
                Ok(record) => records.push(record),
                Err(error) => tracing::warn!(%key, %error, "skipping an unreadable audit record"),
            }
        }
    }
    records.sort_by_key(|record| record.at);
    Ok(records)
}

/// Who is acting (see [`crate::actor`]); never `unknown`.
pub fn default_actor() -> String {
    crate::actor::current()
}
