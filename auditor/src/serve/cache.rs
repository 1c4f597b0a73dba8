//! The incremental read of state buckets: every cycle lists, compares each
//! object's ETag with the previous cycle's, and fetches only what changed. A
//! cached state keeps its structure and its per-state findings, never its
//! values, but those of the resources live drift compares when it is on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::findings::Finding;
use crate::state::lock::{LockObject, LOCK_SUFFIX};
use crate::state::source::{self, ListedObject, LoadedState, NotLoaded, Unreadable};
use crate::state::target::{s3_url, Target};

/// What one object was when last read.
#[derive(Debug, Clone)]
pub enum Entry {
    State(Box<LoadedState>, Vec<Finding>),
    Unreadable(Unreadable),
    Lock(LockObject),
}

#[derive(Debug, Clone)]
struct Cached {
    etag: String,
    entry: Entry,
}

/// The objects of the previous cycle, by origin.
#[derive(Debug, Default)]
pub struct Cache {
    objects: HashMap<String, Cached>,
}

/// What listing and fetching one environment's targets gave.
#[derive(Debug, Default)]
pub struct Read {
    pub entries: Vec<Entry>,
    pub listed: usize,
    pub fetched: usize,
    /// States moved out of the cache (not copied) for this cycle, with the ETag
    /// they were listed with: [`Cache::give_back`] takes them back.
    pub lent: HashMap<String, String>,
}

/// Why a cycle could not read a target: the whole cycle fails (stale report).
#[derive(Debug, Clone)]
pub struct ListFailure {
    pub location: String,
    pub message: String,
}

/// The `(bucket, key)` pairs under `target` that are states or lockfiles.
async fn list_target(
    client: &guardrail_core::store::S3Client,
    target: &Target,
) -> Result<Vec<(String, ListedObject)>, ListFailure> {
    let (bucket, prefix, exact) = match target {
        Target::S3Prefix { bucket, prefix } => (bucket, prefix.as_str(), None),
        Target::S3Object { bucket, key } => (bucket, key.as_str(), Some(key.as_str())),
        Target::Local(path) => {
            return Err(ListFailure {
                location: path.display().to_string(),
                message: "the advisor reads s3:// targets only".into(),
            })
        }
    };
    let listed = source::list_objects(client, bucket, prefix)
        .await
        .map_err(|message| ListFailure {
            location: s3_url(bucket, prefix),
            message,
        })?;
    Ok(listed
        .into_iter()
        .filter(|object| match exact {
            Some(key) => object.key == key || object.key == format!("{key}{LOCK_SUFFIX}"),
            None => object.key.ends_with(".tfstate") || object.key.ends_with(".tfstate.tflock"),
        })
        .map(|object| (bucket.clone(), object))
        .collect())
}

impl Cache {
    /// Lists every target, fetches what changed (at most `concurrency` at once,
    /// each within `object_timeout`; with `keep_live`, keeping the values live
    /// drift compares) and returns every entry. `keep` collects
    /// the origins seen this cycle, so that [`Cache::retain`] can drop the rest.
    pub async fn read(
        &mut self,
        client: &guardrail_core::store::S3Client,
        targets: &[Target],
        concurrency: usize,
        object_timeout: Duration,
        keep_live: bool,
        keep: &mut std::collections::HashSet<String>,
    ) -> Result<Read, ListFailure> {
        let mut read = Read::default();
        let mut wanted = Vec::new();
        for target in targets {
            for (bucket, object) in list_target(client, target).await? {
                read.listed += 1;
                let origin = s3_url(&bucket, &object.key);
                keep.insert(origin.clone());
                match self.objects.get(&origin) {
                    Some(cached) if !object.etag.is_empty() && cached.etag == object.etag => {
                        if matches!(cached.entry, Entry::State(..)) {
                            if let Some(cached) = self.objects.remove(&origin) {
                                read.lent.insert(origin, cached.etag);
                                read.entries.push(cached.entry);
                            }
                        } else {
                            read.entries.push(cached.entry.clone());
                        }
                    }
                    _ => wanted.push((bucket, object)),
                }
            }
        }
        read.fetched = wanted.len();
        let gate = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut running = JoinSet::new();
        for (bucket, object) in wanted {
            let client = client.clone();
            let gate = gate.clone();
            running.spawn(async move {
                let _permit = gate.acquire_owned().await;
                let (entry, cacheable) =
                    fetch(&client, &bucket, &object, object_timeout, keep_live).await;
                (object.etag, entry, cacheable)
            });
        }
        while let Some(joined) = running.join_next().await {
            let Ok((etag, entry, cacheable)) = joined else {
                continue;
            };
            let origin = match &entry {
                Entry::State(state, _) => state.origin.clone(),
                Entry::Unreadable(unreadable) => unreadable.origin.clone(),
                Entry::Lock(lock) => lock.origin.clone(),
            };
            // An object that could not be read is read again next cycle; one
            // that was read but does not parse is kept until its ETag changes.
            if matches!(entry, Entry::State(..)) {
                read.lent.insert(origin, etag);
            } else if cacheable {
                self.objects.insert(
                    origin,
                    Cached {
                        etag,
                        entry: entry.clone(),
                    },
                );
            }
            read.entries.push(entry);
        }
        Ok(read)
    }

    /// Takes back the states [`Read::lent`] names, with their per-state findings.
    pub fn give_back(
        &mut self,
        states: Vec<LoadedState>,
        mut per_state: HashMap<String, Vec<Finding>>,
        mut lent: HashMap<String, String>,
    ) {
        for state in states {
            if let Some(etag) = lent.remove(&state.origin) {
                let findings = per_state.remove(&state.origin).unwrap_or_default();
                self.objects.insert(
                    state.origin.clone(),
                    Cached {
                        etag,
                        entry: Entry::State(Box::new(state), findings),
                    },
                );
            }
        }
    }

    /// Forgets objects no longer listed.
    pub fn retain(&mut self, keep: &std::collections::HashSet<String>) {
        self.objects.retain(|origin, _| keep.contains(origin));
    }
}

/// The entry, and whether it may be kept for the next cycle (its bytes were read).
async fn fetch(
    client: &guardrail_core::store::S3Client,
    bucket: &str,
    object: &ListedObject,
    timeout: Duration,
    keep_live: bool,
) -> (Entry, bool) {
    let origin = s3_url(bucket, &object.key);
    let unreadable = |reason: String| {
        Entry::Unreadable(Unreadable {
            origin: origin.clone(),
            reason,
        })
    };
    let raw = match tokio::time::timeout(timeout, source::get_object(client, bucket, &object.key))
        .await
    {
        Err(_) => {
            return (
                unreadable(format!("no answer within {}s", timeout.as_secs())),
                false,
            )
        }
        Ok(Err(reason)) => return (unreadable(reason), false),
        Ok(Ok(None)) => {
            return (
                unreadable("no such object (removed while listed)".into()),
                false,
            )
        }
        Ok(Ok(Some(raw))) => raw,
    };
    if object.key.ends_with(LOCK_SUFFIX) {
        let lock = LockObject::from_bytes(
            origin.clone(),
            &raw.bytes,
            raw.last_modified.or(object.last_modified),
        );
        return (Entry::Lock(lock), true);
    }
    let entry = match source::load(
        origin.clone(),
        format!("s3://{bucket}"),
        &raw.bytes,
        raw.etag.or_else(|| Some(object.etag.clone())),
        raw.last_modified.or(object.last_modified),
    ) {
        Ok(mut state) => {
            let findings = crate::state::rules::per_state(&state);
            state
                .state
                .drop_values_except(|resource| keep_live && crate::drift::live::compared(resource));
            Entry::State(Box::new(state), findings)
        }
        Err(NotLoaded::Unreadable(unreadable)) => Entry::Unreadable(unreadable),
        Err(NotLoaded::WrongKind(error)) => unreadable(error.to_string()),
    };
    (entry, true)
}
