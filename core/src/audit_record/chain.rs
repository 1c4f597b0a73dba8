//! Verification of an environment's trail: the hash chain, the spent markers its
//! records promise, the head hint, and the lock object against the chained lock
//! history.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;

use super::report::{ChainProblem, ChainReport, Parsed};
use super::{chained_key, digest, head, lock_history, read_trail, AuditRecord, TrailObject};
use crate::attestation::spent_key;
use crate::store::{ObjectStore, StoreError};

/// How often the trail is verified again when the lock changes meanwhile.
const ATTEMPTS: u32 = 3;
/// How long a lock operation in flight gets to append its record.
const LOCK_SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Verifies one environment's trail. Only reads. The head is read before the
/// trail is listed, so a writer that appends meanwhile is never mistaken for a
/// removal. A lock operation writes the lock object first and its record
/// second: when the lock object changed during the verification, or disagrees
/// with the chain, the verification runs again (up to three times, a second
/// apart when they disagree), so that an operation in flight is not reported.
pub async fn verify_chain(
    store: &dyn ObjectStore,
    environment: &str,
) -> Result<ChainReport, StoreError> {
    let lock_etag = || async {
        Ok::<_, StoreError>(
            store
                .get(&crate::lock::lock_key(environment))
                .await?
                .map(|object| object.etag),
        )
    };
    let mut attempt = 1;
    loop {
        let before = lock_etag().await?;
        let report = verify_once(store, environment).await?;
        let changed = lock_etag().await? != before;
        let disagrees = report.problems.iter().any(ChainProblem::concerns_lock);
        if attempt >= ATTEMPTS || !(changed || disagrees) {
            return Ok(report);
        }
        tracing::debug!(
            environment,
            attempt,
            changed,
            "the lock object changed or disagrees with the chain; verifying again"
        );
        if !changed {
            tokio::time::sleep(LOCK_SETTLE).await;
        }
        attempt += 1;
    }
}

async fn verify_once(
    store: &dyn ObjectStore,
    environment: &str,
) -> Result<ChainReport, StoreError> {
    let head = head::read(store, environment).await?;
    let objects = read_trail(store, environment).await?;
    let mut problems = Vec::new();
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut bodies: BTreeMap<u64, (String, Vec<u8>)> = BTreeMap::new();
    let mut legacy_records = 0;
    for TrailObject { key, slot, body } in objects {
        let record = match serde_json::from_slice::<AuditRecord>(&body) {
            Ok(record) => record,
            Err(error) => {
                problems.push(ChainProblem::Unparsable {
                    key: key.clone(),
                    error: error.to_string(),
                });
                if let Some(slot) = slot {
                    bodies.insert(slot, (key, body));
                }
                continue;
            }
        };
        let expected_sequence = slot.unwrap_or(0);
        if record.sequence != expected_sequence || record.environment != environment {
            problems.push(ChainProblem::Misplaced {
                key: key.clone(),
                expected_sequence,
                sequence: record.sequence,
                environment: record.environment.clone(),
            });
        } else if slot.is_none() {
            legacy_records += 1;
            problems.push(ChainProblem::UnchainedLegacy { key: key.clone() });
        }
        if let Some(slot) = slot {
            bodies.insert(slot, (key.clone(), body));
        }
        parsed.push(Parsed { key, slot, record });
    }
    let chained_records = bodies.len();
    let last_sequence = bodies.keys().next_back().copied().unwrap_or(0);
    problems.extend(gaps(environment, &bodies));
    problems.extend(broken_links(&bodies, &parsed));
    problems.extend(head_problems(environment, &head, &bodies, last_sequence));
    problems.extend(missing_spent_markers(store, environment, &parsed).await?);
    problems.extend(lock_history::check(store, environment, &parsed, Utc::now()).await?);
    Ok(ChainReport {
        environment: environment.to_string(),
        chained_records,
        last_sequence,
        legacy_records,
        problems,
    })
}

fn gaps(
    environment: &str,
    bodies: &BTreeMap<u64, (String, Vec<u8>)>,
) -> impl Iterator<Item = ChainProblem> {
    let mut expected = 1;
    let mut found = Vec::new();
    for &sequence in bodies.keys() {
        if sequence > expected {
            found.push(ChainProblem::Gap {
                first: expected,
                last: sequence - 1,
                key: chained_key(environment, expected),
            });
        }
        expected = sequence + 1;
    }
    found.into_iter()
}

/// Record `n`'s bytes against the `previous_digest` of record `n + 1`.
fn broken_links(bodies: &BTreeMap<u64, (String, Vec<u8>)>, parsed: &[Parsed]) -> Vec<ChainProblem> {
    let chained: BTreeMap<u64, &Parsed> = parsed
        .iter()
        .filter_map(|p| p.slot.map(|slot| (slot, p)))
        .collect();
    let mut found = Vec::new();
    for (&sequence, (key, body)) in bodies {
        let Some(witness) = sequence.checked_add(1).and_then(|next| chained.get(&next)) else {
            continue;
        };
        let actual = digest(body);
        if witness.record.previous_digest.as_deref() != Some(actual.as_str()) {
            found.push(ChainProblem::Edited {
                key: key.clone(),
                sequence,
                witness_key: witness.key.clone(),
                expected: witness.record.previous_digest.clone(),
                found: actual,
            });
        }
    }
    found
}

fn head_problems(
    environment: &str,
    read: &head::HeadRead,
    bodies: &BTreeMap<u64, (String, Vec<u8>)>,
    last_sequence: u64,
) -> Option<ChainProblem> {
    let key = head::head_key(environment);
    if read.unreadable {
        return Some(ChainProblem::HeadUnreadable {
            key,
            error: read.error.clone().unwrap_or_default(),
        });
    }
    let head = read.head.as_ref()?;
    if head.sequence > last_sequence {
        return Some(ChainProblem::HeadAhead {
            key,
            head_sequence: head.sequence,
            last_sequence,
        });
    }
    let (record_key, body) = bodies.get(&head.sequence)?;
    (digest(body) != head.digest).then(|| ChainProblem::HeadDiffers {
        key,
        sequence: head.sequence,
        record_key: record_key.clone(),
    })
}

async fn missing_spent_markers(
    store: &dyn ObjectStore,
    environment: &str,
    parsed: &[Parsed],
) -> Result<Vec<ChainProblem>, StoreError> {
    let mut present: BTreeMap<String, bool> = BTreeMap::new();
    let plan_ids: BTreeSet<&str> = parsed
        .iter()
        .filter(|p| p.record.attestation_spent)
        .map(|p| p.record.plan_id.as_str())
        .collect();
    for plan_id in plan_ids {
        let marker = spent_key(environment, plan_id);
        let exists = store.get(&marker).await?.is_some();
        present.insert(plan_id.to_string(), exists);
    }
    Ok(parsed
        .iter()
        .filter(|p| p.record.attestation_spent && !present[&p.record.plan_id])
        .map(|p| ChainProblem::SpentMarkerMissing {
            key: p.key.clone(),
            plan_id: p.record.plan_id.clone(),
            marker_key: spent_key(environment, &p.record.plan_id),
        })
        .collect())
}

/// Every environment with a trail, a head or a lock object in the store.
pub async fn environments(store: &dyn ObjectStore) -> Result<Vec<String>, StoreError> {
    let mut found = BTreeSet::new();
    for key in store.list("audit/").await? {
        if let Some((environment, _)) = key["audit/".len()..].split_once('/') {
            found.insert(environment.to_string());
        }
    }
    for prefix in ["audit-head/", "locks/"] {
        for key in store.list(prefix).await? {
            let name = &key[prefix.len()..];
            if let Some(environment) = name.strip_suffix(".json").filter(|e| !e.contains('/')) {
                found.insert(environment.to_string());
            }
        }
    }
    found.retain(|environment| !environment.is_empty());
    Ok(found.into_iter().collect())
}
