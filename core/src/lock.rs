//! Environment locks (freezes), kept in the store.
//!
//! One object per environment, `locks/<environment>.json`, that is never deleted:
//! releasing writes the record back with `released_at` set. Every acquisition,
//! fresh or a takeover of a released or expired lock, is a conditional write on the
//! previous ETag and bumps `generation`, so the generation is a fencing number that
//! only grows per environment, and two writers can never both believe they hold it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{PutOutcome, Store, StoreError};

/// The stored lock record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Set when the holder released the lock.
    pub released_at: Option<DateTime<Utc>>,
}

impl LockRecord {
    /// Held: neither released nor expired at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.released_at.is_none() && self.expires_at.is_none_or(|expiry| expiry > now)
    }

    fn expiry_text(&self) -> String {
        match self.expires_at {
            Some(expiry) => format!("until {}", expiry.to_rfc3339()),
            None => "with no expiry".to_string(),
        }
    }
}

/// What a caller asks for when it freezes an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockRequest {
    pub environment: String,
    pub owner: String,
    pub reason: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// What [`Locks::release`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseOutcome {
    Released,
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
    store: Store,
}

impl Locks {
    pub fn new(store: &Store) -> Self {
        Locks {
            store: store.clone(),
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
        let key = lock_key(&request.environment);
        let previous = self.read(&request.environment).await?;
        if let Some((record, _)) = &previous {
            if record.is_live(now) {
                return Err(LockError::Held(Box::new(record.clone())));
            }
        }
        let record = LockRecord {
            environment: request.environment.clone(),
            lock_id: uuid::Uuid::new_v4().to_string(),
            owner: request.owner.clone(),
            reason: request.reason.clone(),
            acquired_at: now,
            expires_at: request.expires_at,
            generation: previous.as_ref().map_or(0, |(r, _)| r.generation) + 1,
            released_at: None,
        };
        let body = serde_json::to_vec_pretty(&record).expect("a lock record serialises");
        let outcome = match &previous {
            None => self.store.put_if_absent(&key, body).await?,
            Some((_, etag)) => self.store.put_if_match(&key, body, etag).await?,
        };
        match outcome {
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
        let key = lock_key(environment);
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
        let body = serde_json::to_vec_pretty(&released).expect("a lock record serialises");
        match self.store.put_if_match(&key, body, &etag).await? {
            PutOutcome::Written { .. } => Ok(ReleaseOutcome::Released),
            PutOutcome::PreconditionFailed => match self.read(environment).await? {
                Some((other, _)) if other.lock_id != lock_id && other.is_live(now) => {
                    Ok(ReleaseOutcome::HeldByOther(other))
                }
                _ => Ok(ReleaseOutcome::AlreadyReleased),
            },
        }
    }
}
