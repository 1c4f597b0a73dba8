//! Fetching states and their lockfiles from local files and S3, many at once
//! with a bound. Only `ListObjectsV2` and `GetObject` are ever sent, with a
//! client from [`guardrail_core::store::connect`].

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use guardrail_core::store::{describe_sdk_failure, S3Client};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use super::lock::{LockObject, LOCK_SUFFIX};
use super::model::StateFile;
use super::target::{s3_url, Target};
use super::StateError;
use crate::error::InputError;
use crate::findings::Finding;

/// A state that was read and parsed.
#[derive(Debug, Clone)]
pub struct LoadedState {
    /// `s3://bucket/key` or the local path.
    pub origin: String,
    /// States of one bucket (or all local files) are compared for version skew.
    pub group: String,
    pub sha256: String,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
    pub state: StateFile,
}

/// A state that could not be read or parsed, and why.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub origin: String,
    pub reason: String,
}

/// Everything collected from the targets.
#[derive(Debug, Default)]
pub struct Collected {
    pub states: Vec<LoadedState>,
    pub unreadable: Vec<Unreadable>,
    pub locks: Vec<LockObject>,
    /// Findings of the per-state check given to [`collect`].
    pub findings: Vec<Finding>,
}

/// A check run on each state as soon as it is parsed.
pub type PerStateCheck = fn(&LoadedState) -> Vec<Finding>;

/// Told how far [`collect`] is: objects (states and lockfiles) found, then
/// read one by one. The command line draws it; `()` ignores it.
pub trait Progress: Sync {
    /// `count` more objects are to be read.
    fn found(&self, count: u64);
    /// One more object was read (or found unreadable).
    fn read_one(&self);
}

impl Progress for () {
    fn found(&self, _count: u64) {}
    fn read_one(&self) {}
}

enum Fetched {
    State(Box<LoadedState>, Vec<Finding>),
    Unreadable(Unreadable),
    WrongKind(InputError),
    Lock(LockObject),
    NoLock,
}

/// One fetched object.
pub struct RawObject {
    pub bytes: Vec<u8>,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime<Utc>>,
}

/// One listed object: its key, ETag and modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
}

/// Collects every target. Listing failures and missing local paths are errors
/// (the run cannot say anything about them); a single state that cannot be
/// fetched or parsed becomes an [`Unreadable`] entry.
///
/// With a `per_state` check, each state is checked as soon as it is parsed and
/// its attribute and output values are then dropped: what stays per state is its
/// structure (addresses, statuses, schema versions), a few kilobytes.
///
/// `progress` is told of every object as it is found and read.
pub async fn collect(
    targets: &[Target],
    client: Option<&S3Client>,
    concurrency: usize,
    per_state: Option<PerStateCheck>,
    progress: &dyn Progress,
) -> Result<Collected, StateError> {
    let mut collected = Collected::default();
    let mut jobs: Vec<Job> = Vec::new();
    for target in targets {
        match target {
            Target::Local(path) => collect_local(path, per_state, progress, &mut collected)?,
            Target::S3Object { bucket, key } => {
                jobs.push(Job::State {
                    bucket: bucket.clone(),
                    key: key.clone(),
                });
                jobs.push(Job::Lock {
                    bucket: bucket.clone(),
                    key: format!("{key}{LOCK_SUFFIX}"),
                    may_be_absent: true,
                });
            }
            Target::S3Prefix { bucket, prefix } => {
                let client = client.ok_or(StateError::NoS3Client)?;
                let keys = list_keys(client, bucket, prefix).await.map_err(|message| {
                    StateError::List {
                        location: s3_url(bucket, prefix),
                        message,
                    }
                })?;
                let before = jobs.len();
                for key in keys {
                    if key.ends_with(".tfstate") {
                        jobs.push(Job::State {
                            bucket: bucket.clone(),
                            key,
                        });
                    } else if key.ends_with(".tfstate.tflock") {
                        jobs.push(Job::Lock {
                            bucket: bucket.clone(),
                            key,
                            may_be_absent: false,
                        });
                    }
                }
                let states = jobs[before..]
                    .iter()
                    .filter(|job| matches!(job, Job::State { .. }))
                    .count();
                tracing::info!(bucket, prefix, states, "listed");
                if states == 0 {
                    return Err(StateError::NothingFound(s3_url(bucket, prefix)));
                }
            }
        }
    }
    if !jobs.is_empty() {
        let client = client.ok_or(StateError::NoS3Client)?;
        progress.found(jobs.len() as u64);
        run_jobs(
            jobs,
            client,
            concurrency.max(1),
            per_state,
            progress,
            &mut collected,
        )
        .await?;
    }
    collected.states.sort_by(|a, b| a.origin.cmp(&b.origin));
    collected.unreadable.sort_by(|a, b| a.origin.cmp(&b.origin));
    collected.locks.sort_by(|a, b| a.origin.cmp(&b.origin));
    Ok(collected)
}

/// Why fetched bytes are not a state.
#[derive(Debug)]
pub enum NotLoaded {
    /// Not a readable state: reported as a finding, the run goes on.
    Unreadable(Unreadable),
    /// Terraform JSON of another kind (a plan): the run stops.
    WrongKind(InputError),
}

/// Parses fetched bytes into a [`LoadedState`], or says why not.
pub fn load(
    origin: String,
    group: String,
    object_bytes: &[u8],
    etag: Option<String>,
    last_modified: Option<DateTime<Utc>>,
) -> Result<LoadedState, NotLoaded> {
    match StateFile::parse(object_bytes, &origin) {
        Ok(state) => Ok(LoadedState {
            sha256: hex::encode(Sha256::digest(object_bytes)),
            origin,
            group,
            etag,
            last_modified,
            state,
        }),
        Err(error @ InputError::WrongKind { .. }) => Err(NotLoaded::WrongKind(error)),
        Err(error) => {
            let text = error.to_string();
            let reason = text
                .strip_prefix(&format!("{origin}: "))
                .unwrap_or(&text)
                .to_owned();
            Err(NotLoaded::Unreadable(Unreadable { reason, origin }))
        }
    }
}

/// Runs `per_state` on a freshly parsed state, then drops its values.
fn inspect(
    mut state: LoadedState,
    per_state: Option<PerStateCheck>,
) -> (LoadedState, Vec<Finding>) {
    let Some(check) = per_state else {
        return (state, Vec::new());
    };
    let findings = check(&state);
    state.state.drop_values();
    (state, findings)
}

/// One object to fetch.
enum Job {
    State {
        bucket: String,
        key: String,
    },
    Lock {
        bucket: String,
        key: String,
        /// Probed beside a state given by key: absence is normal.
        may_be_absent: bool,
    },
}

/// Fetches every job with at most `concurrency` requests in flight. Tasks are
/// started only as earlier ones finish, so pending jobs cost no more than their
/// keys.
async fn run_jobs(
    jobs: Vec<Job>,
    client: &S3Client,
    concurrency: usize,
    per_state: Option<PerStateCheck>,
    progress: &dyn Progress,
    collected: &mut Collected,
) -> Result<(), StateError> {
    let mut pending = jobs.into_iter();
    let mut running: JoinSet<Fetched> = JoinSet::new();
    loop {
        while running.len() < concurrency {
            let Some(job) = pending.next() else {
                break;
            };
            running.spawn(fetch(client.clone(), job, per_state));
        }
        let Some(joined) = running.join_next().await else {
            return Ok(());
        };
        progress.read_one();
        match joined.map_err(|error| StateError::Task(error.to_string()))? {
            Fetched::State(state, findings) => {
                collected.states.push(*state);
                collected.findings.extend(findings);
            }
            Fetched::Unreadable(unreadable) => collected.unreadable.push(unreadable),
            Fetched::WrongKind(error) => return Err(StateError::Input(error)),
            Fetched::Lock(lock) => collected.locks.push(lock),
            Fetched::NoLock => {}
        }
    }
}

async fn fetch(client: S3Client, job: Job, per_state: Option<PerStateCheck>) -> Fetched {
    match job {
        Job::State { bucket, key } => {
            let origin = s3_url(&bucket, &key);
            match get_object(&client, &bucket, &key).await {
                Ok(Some(raw)) => match load(
                    origin,
                    format!("s3://{bucket}"),
                    &raw.bytes,
                    raw.etag,
                    raw.last_modified,
                ) {
                    Ok(state) => {
                        let (state, findings) = inspect(state, per_state);
                        Fetched::State(Box::new(state), findings)
                    }
                    Err(NotLoaded::Unreadable(unreadable)) => Fetched::Unreadable(unreadable),
                    Err(NotLoaded::WrongKind(error)) => Fetched::WrongKind(error),
                },
                Ok(None) => Fetched::Unreadable(Unreadable {
                    origin,
                    reason: "no such object".into(),
                }),
                Err(reason) => Fetched::Unreadable(Unreadable { origin, reason }),
            }
        }
        Job::Lock {
            bucket,
            key,
            may_be_absent,
        } => {
            let origin = s3_url(&bucket, &key);
            match get_object(&client, &bucket, &key).await {
                Ok(Some(raw)) => Fetched::Lock(LockObject::from_bytes(
                    origin,
                    &raw.bytes,
                    raw.last_modified,
                )),
                Ok(None) => Fetched::NoLock,
                Err(reason) => {
                    if !may_be_absent {
                        tracing::warn!(lock = %origin, %reason, "cannot read lockfile");
                    }
                    Fetched::NoLock
                }
            }
        }
    }
}

/// Reads one object: `None` when there is no such key; other failures are the
/// SDK's error, described.
pub async fn get_object(
    client: &S3Client,
    bucket: &str,
    key: &str,
) -> Result<Option<RawObject>, String> {
    let output = match client
        .sdk()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
    {
        Ok(output) => output,
        Err(error) => {
            let not_found = error
                .as_service_error()
                .map(|service| service.is_no_such_key())
                .unwrap_or(false);
            return if not_found {
                Ok(None)
            } else {
                Err(describe_sdk_failure("GetObject", &error, client.endpoint()))
            };
        }
    };
    let etag = output.e_tag().map(|tag| tag.trim_matches('"').to_owned());
    let last_modified = to_chrono(output.last_modified());
    let bytes = output
        .body
        .collect()
        .await
        .map_err(|error| format!("reading the body: {error}"))?
        .into_bytes()
        .to_vec();
    Ok(Some(RawObject {
        bytes,
        etag,
        last_modified,
    }))
}

/// Every key under `prefix`, page by page; the error is the SDK's, described.
pub(super) async fn list_keys(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>, String> {
    let objects = list_objects(client, bucket, prefix).await?;
    Ok(objects.into_iter().map(|object| object.key).collect())
}

/// Every object under `prefix` with its ETag, page by page (what an incremental
/// audit compares between runs).
pub async fn list_objects(
    client: &S3Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<ListedObject>, String> {
    let mut objects = Vec::new();
    let mut pages = client
        .sdk()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|error| describe_sdk_failure("ListObjectsV2", &error, client.endpoint()))?;
        objects.extend(page.contents().iter().filter_map(|object| {
            Some(ListedObject {
                key: object.key()?.to_owned(),
                etag: object
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned(),
                last_modified: to_chrono(object.last_modified()),
            })
        }));
    }
    Ok(objects)
}

/// Converts an S3 timestamp.
fn to_chrono(time: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<DateTime<Utc>> {
    let time = time?;
    DateTime::<Utc>::from_timestamp(time.secs(), time.subsec_nanos())
}

fn collect_local(
    path: &Path,
    per_state: Option<PerStateCheck>,
    progress: &dyn Progress,
    collected: &mut Collected,
) -> Result<(), StateError> {
    let metadata = std::fs::metadata(path).map_err(|source| StateError::Local {
        path: path.to_path_buf(),
        source,
    })?;
    let files = if metadata.is_dir() {
        let mut files = Vec::new();
        walk_dir(path, &mut files)?;
        files.sort();
        if !files
            .iter()
            .any(|f| f.to_string_lossy().ends_with(".tfstate"))
        {
            return Err(StateError::NothingFound(path.display().to_string()));
        }
        files
    } else {
        let mut files = vec![path.to_path_buf()];
        let lock = PathBuf::from(format!("{}{LOCK_SUFFIX}", path.display()));
        if lock.is_file() {
            files.push(lock);
        }
        files
    };
    progress.found(files.len() as u64);
    for file in files {
        progress.read_one();
        let origin = file.display().to_string();
        let modified = std::fs::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .map(DateTime::<Utc>::from);
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(error) => {
                collected.unreadable.push(Unreadable {
                    origin,
                    reason: error.to_string(),
                });
                continue;
            }
        };
        if origin.ends_with(LOCK_SUFFIX) {
            collected
                .locks
                .push(LockObject::from_bytes(origin, &bytes, modified));
            continue;
        }
        match load(origin, "local".into(), &bytes, None, modified) {
            Ok(state) => {
                let (state, findings) = inspect(state, per_state);
                collected.states.push(state);
                collected.findings.extend(findings);
            }
            Err(NotLoaded::Unreadable(unreadable)) => collected.unreadable.push(unreadable),
            Err(NotLoaded::WrongKind(error)) => return Err(StateError::Input(error)),
        }
    }
    Ok(())
}

fn walk_dir(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), StateError> {
    let entries = std::fs::read_dir(dir).map_err(|source| StateError::Local {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk_dir(&path, files)?;
        } else {
            let name = path.to_string_lossy();
            if name.ends_with(".tfstate") || name.ends_with(".tfstate.tflock") {
                files.push(path);
            }
        }
    }
    Ok(())
}
