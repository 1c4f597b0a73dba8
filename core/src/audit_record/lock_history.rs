//! The lock object `locks/<environment>.json` against the lock operations the
//! chain records: every acquisition and every release must have been chained.

use chrono::{DateTime, Utc};

use super::report::{ChainProblem, Parsed};
use super::{LOCK_ACQUIRE, LOCK_ADOPT, LOCK_RELEASE, LOCK_TAKEOVER};
use crate::lock::{lock_key, LockError, LockRecord, Locks};
use crate::store::{ObjectStore, StoreError};

/// One lock operation of the chain.
struct Operation<'a> {
    key: &'a str,
    action: &'a str,
    lock: &'a LockRecord,
}

fn acquires(action: &str) -> bool {
    matches!(action, LOCK_ACQUIRE | LOCK_TAKEOVER | LOCK_ADOPT)
}

fn same_lock(a: &LockRecord, b: &LockRecord) -> bool {
    a.lock_id == b.lock_id && a.generation == b.generation
}

/// The fields in which a lock object differs from the record that acquired it.
fn differences(stored: &LockRecord, chained: &LockRecord) -> Vec<&'static str> {
    let mut differs = Vec::new();
    if stored.environment != chained.environment {
        differs.push("environment");
    }
    if stored.owner != chained.owner {
        differs.push("owner");
    }
    if stored.reason != chained.reason {
        differs.push("reason");
    }
    if stored.acquired_at != chained.acquired_at {
        differs.push("acquired_at");
    }
    if stored.expires_at != chained.expires_at {
        differs.push("expires_at");
    }
    differs
}

/// Checks the lock object against the chained lock operations. Only records
/// in their own slot of the chain count: a record outside the chain could be
/// written by anybody to excuse a forged lock.
pub(super) async fn check(
    store: &dyn ObjectStore,
    environment: &str,
    parsed: &[Parsed],
    now: DateTime<Utc>,
) -> Result<Vec<ChainProblem>, StoreError> {
    let key = lock_key(environment);
    let mut chained: Vec<(u64, &Parsed)> = parsed
        .iter()
        .filter_map(|p| {
            let slot = p.slot?;
            (p.record.sequence == slot && p.record.environment == environment).then_some((slot, p))
        })
        .collect();
    chained.sort_by_key(|(slot, _)| *slot);
    let first_chained_at = chained.first().map(|(_, p)| p.record.at);
    let operations: Vec<Operation<'_>> = chained
        .iter()
        .filter_map(|(_, p)| {
            let action = p.record.action.as_str();
            let lock = p.record.lock.as_ref()?;
            (acquires(action) || action == LOCK_RELEASE).then_some(Operation {
                key: &p.key,
                action,
                lock,
            })
        })
        .collect();
    let stored = match Locks::new(store).read(environment).await {
        Ok(stored) => stored.map(|(record, _)| record),
        Err(LockError::Corrupt { key, message }) => {
            return Ok(vec![ChainProblem::Unparsable {
                key,
                error: message,
            }])
        }
        Err(LockError::Store(error)) => return Err(error),
        Err(other) => {
            return Ok(vec![ChainProblem::Unparsable {
                key,
                error: other.to_string(),
            }])
        }
    };
    let last = operations.last();
    let Some(stored) = stored else {
        // A lock object is never deleted: once the chain holds a lock operation,
        // the object must exist.
        return Ok(last
            .map(|op| rolled_back(&key, None, op))
            .into_iter()
            .collect());
    };

    let legacy = operations.is_empty()
        && !stored.is_live(now)
        && first_chained_at.is_none_or(|first| stored.acquired_at < first);
    if legacy {
        return Ok(vec![ChainProblem::UnchainedLegacyLock {
            key,
            generation: stored.generation,
        }]);
    }

    let mut problems = Vec::new();
    let acquisition = operations
        .iter()
        .rev()
        .find(|op| acquires(op.action) && same_lock(op.lock, &stored));
    let differs = match acquisition {
        None => Some(Vec::new()),
        Some(op) => Some(differences(&stored, op.lock)).filter(|d| !d.is_empty()),
    };
    if let Some(differs) = differs {
        problems.push(ChainProblem::LockUnrecorded {
            key: key.clone(),
            lock_id: stored.lock_id.clone(),
            generation: stored.generation,
            owner: stored.owner.clone(),
            live: stored.is_live(now),
            differs,
        });
    }
    if let Some(released_at) = stored.released_at {
        let recorded = operations.iter().any(|op| {
            op.action == LOCK_RELEASE
                && same_lock(op.lock, &stored)
                && op.lock.released_at == Some(released_at)
        });
        if !recorded {
            problems.push(ChainProblem::ReleaseUnrecorded {
                key: key.clone(),
                lock_id: stored.lock_id.clone(),
                generation: stored.generation,
                released_at,
            });
        }
    }
    if let Some(last) = last {
        let older_generation = last.lock.generation > stored.generation;
        // The chain released this very lock, but the object says it is held: the
        // object from before the release was written back.
        let release_undone = stored.released_at.is_none()
            && operations
                .iter()
                .any(|op| op.action == LOCK_RELEASE && same_lock(op.lock, &stored));
        if older_generation || release_undone {
            problems.push(rolled_back(
                &key,
                Some((stored.lock_id.clone(), stored.generation)),
                last,
            ));
        }
    }
    Ok(problems)
}

fn rolled_back(key: &str, found: Option<(String, u64)>, last: &Operation<'_>) -> ChainProblem {
    ChainProblem::LockRolledBack {
        key: key.to_string(),
        found,
        chained_key: last.key.to_string(),
        chained_action: last.action.to_string(),
        chained_generation: last.lock.generation,
    }
}
