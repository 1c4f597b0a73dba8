//! Verification of an environment's trail: the hash chain, the spent markers its
//! records promise, the head hint, and the lock object against the chained lock
//! history.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};

use super::{chained_key, digest, head, lock_history, read_trail, AuditRecord, TrailObject};
use crate::attestation::spent_key;
use crate::store::{ObjectStore, StoreError};

/// What [`verify_chain`] found for one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub environment: String,
    /// Records found in the chain (keys with a sequence).
    pub chained_records: usize,
    /// The highest sequence found (0 when the chain is empty).
    pub last_sequence: u64,
    /// Records written before the chain existed.
    pub legacy_records: usize,
    /// Every problem, in the order of the keys they concern.
    pub problems: Vec<ChainProblem>,
}

impl ChainReport {
    /// No sign of tampering (unchained legacy objects allowed).
    pub fn is_intact(&self) -> bool {
        self.problems.iter().all(|problem| !problem.is_tampering())
    }
}

/// One thing wrong with (or worth knowing about) a trail. Keys are relative to
/// the store prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// Sequences `first..=last` are missing: records were removed.
    Gap {
        first: u64,
        last: u64,
        /// The key of the first missing record.
        key: String,
    },
    /// The bytes at `key` are not the ones record `witness_key` chained to.
    Edited {
        key: String,
        sequence: u64,
        witness_key: String,
        expected: Option<String>,
        found: String,
    },
    /// The record at `key` says it is another sequence or environment: it was
    /// written elsewhere, or edited.
    Misplaced {
        key: String,
        expected_sequence: u64,
        sequence: u64,
        environment: String,
    },
    /// The object at `key` is not an audit record (or a lock record).
    Unparsable { key: String, error: String },
    /// A record says it spent the attestation of `plan_id`, but the marker that
    /// stops a second apply is gone: the attestation could be replayed.
    SpentMarkerMissing {
        key: String,
        plan_id: String,
        marker_key: String,
    },
    /// The head names a sequence beyond the end of the chain: records were
    /// removed from its end (or the head was written by hand).
    HeadAhead {
        key: String,
        head_sequence: u64,
        last_sequence: u64,
    },
    /// The head's digest is not the digest of the record it names.
    HeadDiffers {
        key: String,
        sequence: u64,
        record_key: String,
    },
    /// The head object is not a head of this environment.
    HeadUnreadable { key: String, error: String },
    /// The lock object was not written by any chained acquisition (`differs`
    /// empty), or differs from the one that wrote it in the fields named.
    LockUnrecorded {
        key: String,
        lock_id: String,
        generation: u64,
        owner: String,
        live: bool,
        differs: Vec<&'static str>,
    },
    /// The lock object says it was released, but no chained release says so.
    ReleaseUnrecorded {
        key: String,
        lock_id: String,
        generation: u64,
        released_at: DateTime<Utc>,
    },
    /// The lock object is missing, or older than the chain's last lock operation.
    LockRolledBack {
        key: String,
        found: Option<(String, u64)>,
        chained_key: String,
        chained_action: String,
        chained_generation: u64,
    },
    /// A record written before the chain existed.
    UnchainedLegacy { key: String },
    /// A lock object written before the chain existed (not live, older than the
    /// first chained record, with no lock operation chained yet).
    UnchainedLegacyLock { key: String, generation: u64 },
}

impl ChainProblem {
    /// True for everything but objects that predate the chain.
    pub fn is_tampering(&self) -> bool {
        !matches!(
            self,
            ChainProblem::UnchainedLegacy { .. } | ChainProblem::UnchainedLegacyLock { .. }
        )
    }

    /// True for a disagreement between the lock object and the chain.
    pub fn concerns_lock(&self) -> bool {
        matches!(
            self,
            ChainProblem::LockUnrecorded { .. }
                | ChainProblem::ReleaseUnrecorded { .. }
                | ChainProblem::LockRolledBack { .. }
        )
    }

    /// The key of the object the problem is about, relative to the store prefix.
    pub fn key(&self) -> &str {
        match self {
            ChainProblem::Gap { key, .. }
            | ChainProblem::Edited { key, .. }
            | ChainProblem::Misplaced { key, .. }
            | ChainProblem::Unparsable { key, .. }
            | ChainProblem::SpentMarkerMissing { key, .. }
            | ChainProblem::HeadAhead { key, .. }
            | ChainProblem::HeadDiffers { key, .. }
            | ChainProblem::HeadUnreadable { key, .. }
            | ChainProblem::LockUnrecorded { key, .. }
            | ChainProblem::ReleaseUnrecorded { key, .. }
            | ChainProblem::LockRolledBack { key, .. }
            | ChainProblem::UnchainedLegacy { key }
            | ChainProblem::UnchainedLegacyLock { key, .. } => key,
        }
    }
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChainProblem::Gap { first, last, .. } if first == last => write!(
                f,
                "audit record {first} is missing from the chain: it was removed"
            ),
            ChainProblem::Gap { first, last, .. } => write!(
                f,
                "audit records {first} to {last} are missing from the chain: they were removed"
            ),
            ChainProblem::Edited {
                sequence,
                witness_key,
                expected,
                found,
                ..
            } => write!(
                f,
                "audit record {sequence} was changed after it was written: its bytes hash to {found}, \
                 but {witness_key} chains to {}",
                expected.as_deref().unwrap_or("no previous record")
            ),
            ChainProblem::Misplaced {
                expected_sequence,
                sequence,
                environment,
                ..
            } => write!(
                f,
                "the record stored as sequence {expected_sequence} says it is sequence {sequence} of \
                 environment `{environment}`: it was copied here or edited"
            ),
            ChainProblem::Unparsable { error, .. } => {
                write!(f, "the object is not a valid record: {error}")
            }
            ChainProblem::SpentMarkerMissing {
                plan_id,
                marker_key,
                ..
            } => write!(
                f,
                "the record spent the attestation of plan {plan_id}, but {marker_key} is gone: \
                 the attestation can be applied again"
            ),
            ChainProblem::HeadAhead {
                head_sequence,
                last_sequence,
                ..
            } => write!(
                f,
                "the trail's head names record {head_sequence}, but the chain ends at {last_sequence}: \
                 records were removed from its end, or the head was written by hand"
            ),
            ChainProblem::HeadDiffers {
                sequence,
                record_key,
                ..
            } => write!(
                f,
                "the trail's head holds another digest for record {sequence} ({record_key}): the record \
                 or the head was changed after it was written"
            ),
            ChainProblem::HeadUnreadable { error, .. } => {
                write!(f, "the trail's head is not a head of this trail: {error}")
            }
            ChainProblem::LockUnrecorded {
                lock_id,
                generation,
                owner,
                live,
                differs,
                ..
            } => {
                let state = if *live { "live " } else { "" };
                if differs.is_empty() {
                    write!(
                        f,
                        "the {state}lock {lock_id} (generation {generation}, owner {owner}) was never \
                         written by a chained lock operation: it was planted or forged"
                    )
                } else {
                    write!(
                        f,
                        "the {state}lock {lock_id} (generation {generation}, owner {owner}) differs \
                         from the chained record that wrote it in {}: it was edited",
                        differs.join(", ")
                    )
                }
            }
            ChainProblem::ReleaseUnrecorded {
                lock_id,
                generation,
                released_at,
                ..
            } => write!(
                f,
                "the lock {lock_id} (generation {generation}) says it was released at {}, but no \
                 chained lock-release says so: the release was forged",
                released_at.to_rfc3339()
            ),
            ChainProblem::LockRolledBack {
                found,
                chained_key,
                chained_action,
                chained_generation,
                ..
            } => {
                match found {
                    None => write!(f, "the lock object is missing")?,
                    Some((lock_id, generation)) => write!(
                        f,
                        "the lock object holds lock {lock_id} (generation {generation})"
                    )?,
                }
                write!(
                    f,
                    ", but the chain's last lock operation is {chained_action} of generation \
                     {chained_generation} ({chained_key}): an older lock object was written back"
                )
            }
            ChainProblem::UnchainedLegacy { .. } => write!(
                f,
                "the record was written before the audit trail was chained; it cannot be verified"
            ),
            ChainProblem::UnchainedLegacyLock { generation, .. } => write!(
                f,
                "the lock (generation {generation}) was written before the audit trail was chained; \
                 it cannot be verified"
            ),
        }
    }
}

/// A chained or legacy record that parsed.
pub(super) struct Parsed {
    pub key: String,
    pub slot: Option<u64>,
    pub record: AuditRecord,
}

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
