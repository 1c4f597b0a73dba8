//! The audit trail: one immutable object per gate decision or lock operation,
//! chained per environment so that an edit, a removal or a forged object shows.
//!
//! * `audit/<environment>/<sequence, 20 digits>.json`: record number `sequence`
//!   (1, 2, …). Each slot is claimed with a conditional create (`If-None-Match`),
//!   so two writers never share one; the loser moves on to the next slot. Every
//!   record but the first holds in `previous_digest` the sha256 of the bytes
//!   stored at `sequence - 1`.
//! * `audit-head/<environment>.json`: a hint naming the last sequence and its
//!   digest, so that a writer need not list the trail. It only ever moves
//!   forward, and a writer that finds it contradicting the trail leaves it as it
//!   is, for [`verify_chain`] to report. Nothing trusts it beyond that.
//! * Records written before the chain existed keep their keys
//!   (`audit/<environment>/<time>-<plan_id>.json`, sequence 0): they are read and
//!   listed, and reported as unchained, never as tampering.
//!
//! May import: `store`, `lock`, `attestation` (spent markers), `actor`, `digest`; never `gate`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{ObjectStore, PutOutcome, StoreError};

mod chain;
mod head;
mod lock_history;
mod report;

pub use chain::{environments, verify_chain};
pub use head::{head_key, Head};
pub use report::{ChainProblem, ChainReport};

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

/// The lock operations a chained record can carry in [`AuditRecord::action`].
pub const LOCK_ACQUIRE: &str = "lock-acquire";
pub const LOCK_TAKEOVER: &str = "lock-takeover";
pub const LOCK_ADOPT: &str = "lock-adopt";
pub const LOCK_RELEASE: &str = "lock-release";

impl AuditRecord {
    /// The record of a lock operation (`action`: one of the `LOCK_*` actions) on
    /// `lock` as written, by the current actor: the one shape every writer uses
    /// and the chain's lock history reads.
    pub fn lock_operation(
        action: &str,
        lock: &crate::lock::LockRecord,
        at: DateTime<Utc>,
        reasons: Vec<String>,
        clock_override: Option<ClockOverride>,
    ) -> AuditRecord {
        AuditRecord {
            environment: lock.environment.clone(),
            action: action.to_string(),
            who: crate::actor::current(),
            at,
            reasons,
            lock: Some(lock.clone()),
            lock_generation: Some(lock.generation),
            clock_override,
            ..Default::default()
        }
    }
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

/// Digits of the sequence in a key: every `u64` fits, and keys sort as numbers.
const SEQUENCE_WIDTH: usize = 20;
/// Slots tried one after the other before the trail is listed again to find its end.
const WALK_BEFORE_RELIST: u32 = 8;
/// Slots tried in all before a write gives up.
const MAX_ATTEMPTS: u32 = 512;
/// Objects fetched at once when a trail is read.
const READ_CONCURRENCY: usize = 16;

/// `audit/<environment>/`
pub fn trail_prefix(environment: &str) -> String {
    format!("audit/{environment}/")
}

/// `audit/<environment>/<sequence, zero-padded to 20 digits>.json`
pub fn chained_key(environment: &str, sequence: u64) -> String {
    format!(
        "{}{sequence:0width$}.json",
        trail_prefix(environment),
        width = SEQUENCE_WIDTH
    )
}

/// The sequence a key of the chain names; `None` for any other key (records
/// written before the chain, or foreign objects).
pub fn sequence_of_key(environment: &str, key: &str) -> Option<u64> {
    let name = key
        .strip_prefix(&trail_prefix(environment))?
        .strip_suffix(".json")?;
    if name.len() != SEQUENCE_WIDTH || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok().filter(|sequence| *sequence > 0)
}

/// `sha256:<hex>` of stored bytes: what `previous_digest` holds.
pub use crate::digest::sha256 as digest;

/// Appends a record to its environment's chain and returns its key. The
/// record's `sequence` and `previous_digest` are set here, whatever the caller
/// put in them. Safe under concurrency: a slot is claimed with `If-None-Match`,
/// and a writer only claims slot `n` after reading slot `n - 1`, so the chain
/// has no gap unless somebody removes a record.
pub async fn write(store: &dyn ObjectStore, record: &AuditRecord) -> Result<String, StoreError> {
    let environment = record.environment.as_str();
    let hint = head::read(store, environment)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(environment, %error, "cannot read the audit trail's head; listing the trail");
            head::HeadRead {
                unreadable: true,
                ..head::HeadRead::default()
            }
        });
    let mut next = match &hint.head {
        Some(head) => head.sequence.saturating_add(1),
        None => last_sequence(store, environment).await? + 1,
    };
    // A head that contradicts the trail is evidence: it is left for the verifier.
    let mut head_trusted = !hint.unreadable;
    let mut walked = 0;
    for _ in 0..MAX_ATTEMPTS {
        let previous_digest = if next <= 1 {
            None
        } else {
            let previous_key = chained_key(environment, next - 1);
            match store.get(&previous_key).await? {
                Some(previous) => {
                    let found = digest(&previous.body);
                    if let Some(head) = hint.head.as_ref().filter(|h| h.sequence == next - 1) {
                        if head.digest != found {
                            tracing::warn!(
                                environment,
                                key = %previous_key,
                                "the audit trail's head names another digest for this record; leaving the head for verification"
                            );
                            head_trusted = false;
                        }
                    }
                    Some(found)
                }
                None => {
                    let last = last_sequence(store, environment).await?;
                    if hint.head.as_ref().is_some_and(|h| h.sequence > last) {
                        tracing::warn!(
                            environment,
                            last,
                            "the audit trail ends before the sequence its head names; leaving the head for verification"
                        );
                        head_trusted = false;
                    }
                    next = last + 1;
                    continue;
                }
            }
        };
        let chained = AuditRecord {
            sequence: next,
            previous_digest,
            ..record.clone()
        };
        let body = serde_json::to_vec_pretty(&chained).expect("an audit record serialises");
        let key = chained_key(environment, next);
        match store.put_if_absent(&key, body.clone()).await? {
            PutOutcome::Written { .. } => {
                if head_trusted {
                    head::advance(store, environment, hint.etag.as_deref(), next, &body).await;
                }
                tracing::debug!(environment, sequence = next, %key, "audit record written");
                return Ok(key);
            }
            PutOutcome::PreconditionFailed => {
                walked += 1;
                if walked % WALK_BEFORE_RELIST == 0 {
                    next = last_sequence(store, environment).await?.max(next) + 1;
                } else {
                    next += 1;
                }
            }
        }
    }
    Err(contention_error(store, &chained_key(environment, next)))
}

fn contention_error(store: &dyn ObjectStore, key: &str) -> StoreError {
    StoreError::request(
        store.location(),
        "PutObject",
        key,
        format!(
            "no free audit sequence slot after {MAX_ATTEMPTS} attempts: other writers took every one; try again"
        ),
    )
}

/// The highest sequence in the environment's chain (0 when it has none), from a listing.
async fn last_sequence(store: &dyn ObjectStore, environment: &str) -> Result<u64, StoreError> {
    Ok(store
        .list(&trail_prefix(environment))
        .await?
        .iter()
        .filter_map(|key| sequence_of_key(environment, key))
        .max()
        .unwrap_or(0))
}

/// One object of a trail, as stored.
#[derive(Debug, Clone)]
pub(crate) struct TrailObject {
    pub key: String,
    /// The sequence its key names; `None` for a record written before the chain.
    pub slot: Option<u64>,
    pub body: Vec<u8>,
}

/// Every object under `audit/<environment>/`, in key order (the chain in
/// sequence order, after the records written before it). An object removed
/// between the listing and its read is left out.
pub(crate) async fn read_trail(
    store: &dyn ObjectStore,
    environment: &str,
) -> Result<Vec<TrailObject>, StoreError> {
    let keys = store.list(&trail_prefix(environment)).await?;
    let mut objects = Vec::with_capacity(keys.len());
    for batch in keys.chunks(READ_CONCURRENCY) {
        let mut reads = tokio::task::JoinSet::new();
        for (index, key) in batch.iter().enumerate() {
            let store = store.shared();
            let key = key.clone();
            reads.spawn(async move { (index, store.get(&key).await) });
        }
        let mut fetched: Vec<Option<Vec<u8>>> = vec![None; batch.len()];
        while let Some(joined) = reads.join_next().await {
            let (index, result) = joined.expect("a store read does not panic");
            fetched[index] = result?.map(|object| object.body);
        }
        for (key, body) in batch.iter().zip(fetched) {
            if let Some(body) = body {
                objects.push(TrailObject {
                    key: key.clone(),
                    slot: sequence_of_key(environment, key),
                    body,
                });
            }
        }
    }
    // Legacy keys start with a year (`2026…`), chained keys with zeros: make the
    // chain come last whatever the keys look like.
    objects.sort_by_key(|object| object.slot.is_some());
    Ok(objects)
}

/// Every record of an environment, oldest first (by `at`, then by sequence).
/// Unreadable objects are skipped with a warning; [`verify_chain`] reports them.
pub async fn list(
    store: &dyn ObjectStore,
    environment: &str,
) -> Result<Vec<AuditRecord>, StoreError> {
    let mut records = Vec::new();
    for object in read_trail(store, environment).await? {
        match serde_json::from_slice::<AuditRecord>(&object.body) {
            Ok(record) => records.push(record),
            Err(error) => {
                tracing::warn!(key = %object.key, %error, "skipping an unreadable audit record")
            }
        }
    }
    records.sort_by_key(|record| (record.at, record.sequence));
    Ok(records)
}

/// Who is acting (see [`crate::actor`]); never `unknown`.
pub fn default_actor() -> String {
    crate::actor::current()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chained_keys_sort_as_numbers_and_read_back() {
        let keys: Vec<String> = [1, 2, 10, 999, u64::MAX]
            .iter()
            .map(|n| chained_key("production", *n))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
        assert_eq!(keys[0], "audit/production/00000000000000000001.json");
        for (key, n) in keys.iter().zip([1, 2, 10, 999, u64::MAX]) {
            assert_eq!(sequence_of_key("production", key), Some(n));
        }
    }

    #[test]
    fn other_keys_are_not_in_the_chain() {
        for key in [
            "audit/production/20261124T100000.000000Z-plan-1.json",
            "audit/production/00000000000000000000.json",
            "audit/production/0000000000000000001.json",
            "audit/staging/00000000000000000001.json",
            "audit/production/00000000000000000001.json.bak",
            "audit/production/+0000000000000000001.json",
        ] {
            assert_eq!(sequence_of_key("production", key), None, "{key}");
        }
    }
}
