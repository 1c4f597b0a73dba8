//! Environment locks (freezes), kept in the store.
//!
//! One object per environment, `locks/<environment>.json`, that is never deleted:
//! releasing writes the record back with `released_at` set. Every acquisition,
//! fresh or a takeover of a released or expired lock, is a conditional write on the
//! previous ETag and bumps `generation`, so the generation is a fencing number that
//! only grows per environment, and two writers can never both believe they hold it.
//! Deleting the object would start the generation again at 1, which is why
//! operators unstick a lock with [`Locks::force_release`] (the record written back
//! released, generation kept) or [`Locks::takeover`] (a new holder with the next
//! generation), never with a delete.
//!
//! A run killed after its lock was written, but before Terraform recorded it,
//! leaves a live lock nobody has in state. [`Locks::acquire_or_adopt`] lets the
//! same owner re-running the same configuration (same [`LockRecord::config_digest`])
//! take that lock back instead of being refused by it.
//!
//! Every `If-Match` write is preceded, once per process and endpoint, by a check
//! that the endpoint refuses `If-Match` on a stale ETag: an endpoint (or a proxy in
//! front of it) that drops the header would turn every takeover into a blind
//! overwrite and let several writers believe they hold the lock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::store::{Condition, ObjectStore, PutOutcome, StoreError, StoreLocation};

/// The stored lock record. Fields added after the first release have serde
/// defaults, so records written by older versions still read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    pub environment: String,
    /// Unique per acquisition (uuid v4).
    pub lock_id: String,
    pub owner: String,
    pub reason: String,
    pub acquired_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Fencing number: grows by one with every acquisition of this environment.
    pub generation: u64,
    /// Set when the lock was released.
    pub released_at: Option<DateTime<Utc>>,
    /// `sha256:<hex>` of the configuration that asked for the lock (see
    /// [`config_digest`]); `None` for locks taken by an operator or an older version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// Who released the lock when an operator did ([`Locks::force_release`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    /// Why an operator released the lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_reason: Option<String>,
}

/// Where a lock record stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LockStatus {
    /// Held: neither released nor expired.
    Live,
    /// Past its expiry, never released: nobody holds it.
    Expired,
    /// Released by its holder or an operator.
    Released,
}

impl std::fmt::Display for LockStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LockStatus::Live => "live",
            LockStatus::Expired => "expired",
            LockStatus::Released => "released",
        })
    }
}

impl LockRecord {
    /// Held: neither released nor expired at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.status(now) == LockStatus::Live
    }

    /// Live, expired or released at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> LockStatus {
        if self.released_at.is_some() {
            LockStatus::Released
        } else if self.expires_at.is_some_and(|expiry| expiry <= now) {
            LockStatus::Expired
        } else {
            LockStatus::Live
        }
    }

    /// True when `request` comes from the holder of this live lock re-running the
    /// configuration that took it: same environment, owner and configuration digest.
    pub fn adoptable_by(&self, request: &LockRequest, now: DateTime<Utc>) -> bool {
        self.is_live(now)
            && self.environment == request.environment
            && self.owner == request.owner
            && self.config_digest.is_some()
            && self.config_digest == request.config_digest
    }

    fn expiry_text(&self) -> String {
        match self.expires_at {
            Some(expiry) => format!("until {}", expiry.to_rfc3339()),
            None => "with no expiry".to_string(),
        }
    }
}

/// `sha256:<hex>` over named configuration values, independent of their order:
/// what [`LockRecord::config_digest`] holds.
pub fn config_digest(fields: &[(&str, &str)]) -> String {
    let mut sorted: Vec<(&str, &str)> = fields.to_vec();
    sorted.sort();
    let canonical = serde_json::to_vec(&sorted).expect("strings serialise");
    crate::digest::sha256(&canonical)
}

/// What a caller asks for when it freezes an environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockRequest {
    pub environment: String,
    pub owner: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
    /// The configuration asking (see [`config_digest`]): lets the same owner adopt
    /// the lock it left behind ([`Locks::acquire_or_adopt`]).
    pub config_digest: Option<String>,
}

/// What [`Locks::acquire_or_adopt`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acquisition {
    /// A new acquisition, with the next generation.
    Acquired(LockRecord),
    /// The live lock of the same owner and configuration, taken back unchanged.
    Adopted(LockRecord),
}

impl Acquisition {
    /// The lock record now held.
    pub fn record(&self) -> &LockRecord {
        match self {
            Acquisition::Acquired(record) | Acquisition::Adopted(record) => record,
        }
    }
}

/// What an operator asks for when releasing or taking over a lock by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorRequest {
    pub environment: String,
    /// Who acts (see [`crate::actor::current`]).
    pub actor: String,
    /// Why; an empty reason is refused.
    pub reason: String,
    /// When set, the operation is refused unless the record still has this
    /// generation: the one the operator looked at.
    pub expected_generation: Option<u64>,
}

/// What [`Locks::release`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    /// Released: the record as written back.
    Released(LockRecord),
    /// There was no live lock with that id (already released, or never written).
    AlreadyReleased,
    /// Somebody else holds the lock now (it expired and was taken over): left untouched.
    HeldByOther(LockRecord),
}

/// A lock operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "environment `{}` is frozen by {} ({}), {} (lock generation {}, acquired {})",
        .0.environment, .0.owner, .0.reason, .0.expiry_text(), .0.generation, .0.acquired_at.to_rfc3339()
    )]
    Held(Box<LockRecord>),
    #[error("environment `{environment}`: the lock changed while it was being updated; try again")]
    Contended { environment: String },
    #[error(
        "environment `{environment}`: the lock is at generation {found}, not {expected} as it was when read; \
         look at it again before releasing or taking it over"
    )]
    Changed {
        environment: String,
        expected: u64,
        found: u64,
    },
    #[error("environment `{environment}` has no lock record (locks/{environment}.json); there is nothing to {operation}")]
    NoLock {
        environment: String,
        operation: &'static str,
    },
    #[error(
        "environment `{}`: the lock was already released at {}{}; nothing was written",
        .0.environment,
        .0.released_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
        .0.released_by.as_ref().map(|who| format!(" by {who}")).unwrap_or_default()
    )]
    AlreadyReleased(Box<LockRecord>),
    #[error("a reason is required to {operation} the lock of `{environment}`: say why, such as an incident or ticket number")]
    ReasonRequired {
        environment: String,
        operation: &'static str,
    },
    #[error(
        "{store} ignores conditional writes ({condition}: {evidence}; probe object {probe}). \
         Lock takeovers and releases on this endpoint would be blind overwrites; use Cloudflare R2, \
         AWS S3 or another server (and no proxy) that honours If-Match"
    )]
    IfMatchIgnored {
        store: StoreLocation,
        probe: String,
        /// The condition the probe saw ignored.
        condition: Condition,
        /// What the probe saw.
        evidence: &'static str,
    },
    #[error("lock object {key} is not a valid lock record: {message}")]
    Corrupt { key: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `locks/<environment>.json`
pub fn lock_key(environment: &str) -> String {
    format!("locks/{environment}.json")
}

/// Lock operations on one store.
#[derive(Debug, Clone)]
pub struct Locks {
    store: Arc<dyn ObjectStore>,
}

impl Locks {
    pub fn new(store: &dyn ObjectStore) -> Self {
        Locks {
            store: store.shared(),
        }
    }

    /// The stored record (live, released or expired) and its ETag.
    pub async fn read(&self, environment: &str) -> Result<Option<(LockRecord, String)>, LockError> {
        let key = lock_key(environment);
        let Some(object) = self.store.get(&key).await? else {
            return Ok(None);
        };
        let record: LockRecord =
            serde_json::from_slice(&object.body).map_err(|e| LockError::Corrupt {
                key: key.clone(),
                message: e.to_string(),
            })?;
        Ok(Some((record, object.etag)))
    }

    /// The live lock, if any.
    pub async fn current(
        &self,
        environment: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<LockRecord>, LockError> {
        Ok(self
            .read(environment)
            .await?
            .map(|(record, _)| record)
            .filter(|record| record.is_live(now)))
    }

    /// Acquires the lock atomically, or fails with [`LockError::Held`] naming the holder.
    pub async fn acquire(
        &self,
        request: &LockRequest,
        now: DateTime<Utc>,
    ) -> Result<LockRecord, LockError> {
        let previous = self.read(&request.environment).await?;
        if let Some((record, _)) = &previous {
            if record.is_live(now) {
                return Err(LockError::Held(Box::new(record.clone())));
            }
        }
        self.acquire_over(previous, request, now).await
    }

    /// As [`Locks::acquire`], except that the live lock of the same owner and
    /// configuration ([`LockRecord::adoptable_by`]) is adopted: returned unchanged,
    /// same lock id and generation, nothing written.
    pub async fn acquire_or_adopt(
        &self,
        request: &LockRequest,
        now: DateTime<Utc>,
    ) -> Result<Acquisition, LockError> {
        let previous = self.read(&request.environment).await?;
        if let Some((record, _)) = &previous {
            if record.adoptable_by(request, now) {
                tracing::info!(environment = %record.environment, generation = record.generation, "lock adopted");
                return Ok(Acquisition::Adopted(record.clone()));
            }
            if record.is_live(now) {
                return Err(LockError::Held(Box::new(record.clone())));
            }
        }
        self.acquire_over(previous, request, now)
            .await
            .map(Acquisition::Acquired)
    }

    async fn acquire_over(
        &self,
        previous: Option<(LockRecord, String)>,
        request: &LockRequest,
        now: DateTime<Utc>,
    ) -> Result<LockRecord, LockError> {
        let record = LockRecord {
            environment: request.environment.clone(),
            lock_id: uuid::Uuid::new_v4().to_string(),
            owner: request.owner.clone(),
            reason: request.reason.clone(),
            acquired_at: now,
            expires_at: request.expires_at,
            generation: previous.as_ref().map_or(0, |(r, _)| r.generation) + 1,
            released_at: None,
            config_digest: request.config_digest.clone(),
            released_by: None,
            release_reason: None,
        };
        let etag = previous.as_ref().map(|(_, etag)| etag.as_str());
        match self.write(&record, etag).await? {
            PutOutcome::Written { .. } => {
                tracing::info!(environment = %record.environment, generation = record.generation, "lock acquired");
                Ok(record)
            }
            // Somebody else wrote between our read and our write: report who holds it now.
            PutOutcome::PreconditionFailed => {
                match self.current(&request.environment, now).await? {
                    Some(holder) => Err(LockError::Held(Box::new(holder))),
                    None => Err(LockError::Contended {
                        environment: request.environment.clone(),
                    }),
                }
            }
        }
    }

    /// Releases the lock `lock_id`, only if it is still the current holder.
    pub async fn release(
        &self,
        environment: &str,
        lock_id: &str,
        now: DateTime<Utc>,
    ) -> Result<ReleaseOutcome, LockError> {
        let Some((record, etag)) = self.read(environment).await? else {
            return Ok(ReleaseOutcome::AlreadyReleased);
        };
        if record.lock_id != lock_id {
            return Ok(if record.is_live(now) {
                ReleaseOutcome::HeldByOther(record)
            } else {
                ReleaseOutcome::AlreadyReleased
            });
        }
        if record.released_at.is_some() {
            return Ok(ReleaseOutcome::AlreadyReleased);
        }
        let released = LockRecord {
            released_at: Some(now),
            ..record
        };
        match self.write(&released, Some(&etag)).await? {
            PutOutcome::Written { .. } => Ok(ReleaseOutcome::Released(released)),
            PutOutcome::PreconditionFailed => match self.read(environment).await? {
                Some((other, _)) if other.lock_id != lock_id && other.is_live(now) => {
                    Ok(ReleaseOutcome::HeldByOther(other))
                }
                _ => Ok(ReleaseOutcome::AlreadyReleased),
            },
        }
    }

    /// An operator releases the lock whoever holds it: the record is written back
    /// with `released_at`, `released_by` and `release_reason`, conditional on the
    /// ETag read, generation kept. Returns the record written.
    pub async fn force_release(
        &self,
        request: &OperatorRequest,
        now: DateTime<Utc>,
    ) -> Result<LockRecord, LockError> {
        let (record, etag) = self.read_for_operator(request, "release").await?;
        if record.released_at.is_some() {
            return Err(LockError::AlreadyReleased(Box::new(record)));
        }
        let released = LockRecord {
            released_at: Some(now),
            released_by: Some(request.actor.clone()),
            release_reason: Some(request.reason.trim().to_string()),
            ..record
        };
        self.write_operator(&released, &etag, request).await?;
        tracing::info!(environment = %released.environment, generation = released.generation, "lock force-released");
        Ok(released)
    }

    /// An operator takes the lock over: a new record held by the actor, with the
    /// next generation, `expires_at` as given, conditional on the ETag read.
    /// Works on a live, expired or released lock. Returns the record written.
    pub async fn takeover(
        &self,
        request: &OperatorRequest,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<LockRecord, LockError> {
        let (record, etag) = self.read_for_operator(request, "take over").await?;
        let taken = LockRecord {
            environment: record.environment.clone(),
            lock_id: uuid::Uuid::new_v4().to_string(),
            owner: request.actor.clone(),
            reason: request.reason.trim().to_string(),
            acquired_at: now,
            expires_at,
            generation: record.generation + 1,
            ..LockRecord::default()
        };
        self.write_operator(&taken, &etag, request).await?;
        tracing::info!(environment = %taken.environment, generation = taken.generation, "lock taken over");
        Ok(taken)
    }

    async fn read_for_operator(
        &self,
        request: &OperatorRequest,
        operation: &'static str,
    ) -> Result<(LockRecord, String), LockError> {
        if request.reason.trim().is_empty() {
            return Err(LockError::ReasonRequired {
                environment: request.environment.clone(),
                operation,
            });
        }
        let Some((record, etag)) = self.read(&request.environment).await? else {
            return Err(LockError::NoLock {
                environment: request.environment.clone(),
                operation,
            });
        };
        match request.expected_generation {
            Some(expected) if expected != record.generation => Err(LockError::Changed {
                environment: request.environment.clone(),
                expected,
                found: record.generation,
            }),
            _ => Ok((record, etag)),
        }
    }

    async fn write_operator(
        &self,
        record: &LockRecord,
        etag: &str,
        request: &OperatorRequest,
    ) -> Result<(), LockError> {
        match self.write(record, Some(etag)).await? {
            PutOutcome::Written { .. } => Ok(()),
            PutOutcome::PreconditionFailed => Err(LockError::Contended {
                environment: request.environment.clone(),
            }),
        }
    }

    /// Writes `record`: created only if absent (`etag` `None`), else replaced only
    /// if the object still has `etag`.
    async fn write(
        &self,
        record: &LockRecord,
        etag: Option<&str>,
    ) -> Result<PutOutcome, LockError> {
        let key = lock_key(&record.environment);
        let body = serde_json::to_vec_pretty(record).expect("a lock record serialises");
        match etag {
            None => self.store.put_if_absent(&key, body).await,
            Some(etag) => self.store.put_if_match(&key, body, etag).await,
        }
        .map_err(|error| self.write_refused(error))
    }

    /// Checks that the store honours the conditional writes locks depend on
    /// (once per process), before an operation that will write.
    pub async fn verify_store(&self) -> Result<(), LockError> {
        self.store
            .verify_conditional_writes()
            .await
            .map_err(|error| self.write_refused(error))
    }

    /// A write's error as a lock error: an endpoint the store's probe found
    /// ignoring conditions (checked before every store's first conditional
    /// write) is named as such.
    fn write_refused(&self, error: StoreError) -> LockError {
        match error {
            StoreError::ConditionalWritesIgnored {
                condition,
                evidence,
                ..
            } => {
                let store = self.store.location().clone();
                tracing::error!(%store, %condition, evidence, "the store ignores conditional writes");
                LockError::IfMatchIgnored {
                    store,
                    probe: crate::store::CONDITIONAL_WRITE_PROBE.to_string(),
                    condition,
                    evidence,
                }
            }
            error => error.into(),
        }
    }
}
