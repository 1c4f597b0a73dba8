//! What a trail verification reports: the [`ChainReport`] of an environment
//! and each [`ChainProblem`] in it, and the [`Parsed`] records both the chain
//! check and the lock-history check read. Imports no sibling file.

use std::fmt;

use chrono::{DateTime, Utc};

use super::AuditRecord;

/// What [`verify_chain`](super::verify_chain) found for one environment.
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
