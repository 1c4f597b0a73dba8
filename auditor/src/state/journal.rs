//! The state history: one record per state seen per run, as JSON lines.
//!
//! A local journal is one file, appended to. An S3 journal is a prefix holding one
//! object per run (R2 has neither append nor versioning); objects are created with
//! `If-None-Match: *` so a run never overwrites another's. Journal access uses its
//! own credentials (`TFAUDIT_JOURNAL_*`), never the ones that read the states.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use guardrail_core::store::{
    connect, describe_sdk_failure, S3Client, S3Settings, StaticCredentials,
};

use super::source::{list_objects, LoadedState};
use super::target::{s3_url, Target};
use super::StateError;

/// Environment variables holding the journal's own credentials and endpoint.
pub const JOURNAL_ACCESS_KEY_VAR: &str = "TFAUDIT_JOURNAL_ACCESS_KEY_ID";
pub const JOURNAL_SECRET_KEY_VAR: &str = "TFAUDIT_JOURNAL_SECRET_ACCESS_KEY";
pub const JOURNAL_ENDPOINT_VAR: &str = "TFAUDIT_JOURNAL_ENDPOINT";

/// Journal objects fetched at once.
const JOURNAL_READ_CONCURRENCY: usize = 16;

/// What the journal remembers about one state at one time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecord {
    pub key: String,
    pub lineage: String,
    pub serial: u64,
    pub sha256: String,
    #[serde(default)]
    pub etag: Option<String>,
    pub resources: usize,
    pub seen_at: DateTime<Utc>,
}

impl JournalRecord {
    pub fn from_state(state: &LoadedState, seen_at: DateTime<Utc>) -> JournalRecord {
        JournalRecord {
            key: state.origin.clone(),
            lineage: state.state.lineage.clone(),
            serial: state.state.serial,
            sha256: state.sha256.clone(),
            etag: state.etag.clone(),
            resources: state.state.instance_count(),
            seen_at,
        }
    }
}

/// Every record read from the journal, by state key, oldest first.
#[derive(Debug, Default)]
pub struct JournalHistory {
    by_key: HashMap<String, Vec<JournalRecord>>,
}

impl JournalHistory {
    pub fn from_records(records: impl IntoIterator<Item = JournalRecord>) -> JournalHistory {
        let mut by_key: HashMap<String, Vec<JournalRecord>> = HashMap::new();
        for record in records {
            by_key.entry(record.key.clone()).or_default().push(record);
        }
        for records in by_key.values_mut() {
            records.sort_by_key(|record| record.seen_at);
        }
        JournalHistory { by_key }
    }

    /// The most recent record of `key`.
    pub fn last(&self, key: &str) -> Option<&JournalRecord> {
        self.by_key.get(key).and_then(|records| records.last())
    }

    /// The record with the highest serial seen for `key` under `lineage`.
    pub fn highest_serial(&self, key: &str, lineage: &str) -> Option<&JournalRecord> {
        self.by_key
            .get(key)?
            .iter()
            .filter(|record| record.lineage == lineage)
            .max_by_key(|record| record.serial)
    }

    /// Records seen for `key` with exactly `serial` under `lineage`.
    pub fn with_serial<'a>(
        &'a self,
        key: &str,
        lineage: &'a str,
        serial: u64,
    ) -> impl Iterator<Item = &'a JournalRecord> + 'a {
        self.by_key
            .get(key)
            .into_iter()
            .flatten()
            .filter(move |record| record.lineage == lineage && record.serial == serial)
    }

    pub fn len(&self) -> usize {
        self.by_key.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The objects of an S3 journal already read, by key, with the ETag they were
/// read at (journal objects are written once, so a second read fetches only new ones).
#[derive(Debug, Default)]
pub struct JournalCache {
    objects: HashMap<String, (String, Vec<JournalRecord>)>,
    /// Objects fetched so far.
    pub fetched: usize,
}

/// Where the journal lives.
pub enum Journal {
    Local(PathBuf),
    S3 {
        client: S3Client,
        bucket: String,
        prefix: String,
    },
}

impl Journal {
    /// Opens `--journal PATH|s3://bucket/prefix`. An S3 journal needs
    /// `TFAUDIT_JOURNAL_ACCESS_KEY_ID` and `TFAUDIT_JOURNAL_SECRET_ACCESS_KEY`; its
    /// endpoint is `TFAUDIT_JOURNAL_ENDPOINT`, else the state endpoint, else the
    /// fallbacks of [`guardrail_core::store::connect`], which builds its client.
    pub async fn open(spec: &str, state_endpoint: Option<&str>) -> Result<Journal, StateError> {
        let target = Target::parse(spec).map_err(StateError::Usage)?;
        let (bucket, prefix) = match target {
            Target::Local(path) => return Ok(Journal::Local(path)),
            Target::S3Prefix { bucket, prefix } => (bucket, prefix),
            Target::S3Object { bucket, key } => (bucket, format!("{key}/")),
        };
        let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let (Some(access_key), Some(secret_key)) = (
            variable(JOURNAL_ACCESS_KEY_VAR),
            variable(JOURNAL_SECRET_KEY_VAR),
        ) else {
            return Err(StateError::Usage(format!(
                "--journal {spec}: an S3 journal needs {} and {} (its own credentials; the state credentials are read-only)",
                JOURNAL_ACCESS_KEY_VAR,
                JOURNAL_SECRET_KEY_VAR
            )));
        };
        let endpoint = variable(JOURNAL_ENDPOINT_VAR).or_else(|| state_endpoint.map(str::to_owned));
        let client = connect(&S3Settings {
            credentials: Some(StaticCredentials {
                access_key_id: access_key,
                secret_access_key: secret_key,
            }),
            ..S3Settings::with_endpoint(endpoint.as_deref())
        })
        .await;
        Ok(Journal::S3 {
            client,
            bucket,
            prefix,
        })
    }

    /// Reads every record. A line that is not a record is an error naming the
    /// journal file (or object) and the line.
    pub async fn history(&self) -> Result<JournalHistory, StateError> {
        self.history_with(&mut JournalCache::default()).await
    }

    /// [`Journal::history`], fetching from an S3 journal only the objects whose
    /// ETag is not the one `cache` read them with (a local journal is read whole).
    pub async fn history_with(
        &self,
        cache: &mut JournalCache,
    ) -> Result<JournalHistory, StateError> {
        let mut records = Vec::new();
        match self {
            Journal::Local(path) => {
                let text = match std::fs::read_to_string(path) {
                    Ok(text) => text,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(source) => {
                        return Err(StateError::Local {
                            path: path.clone(),
                            source,
                        })
                    }
                };
                parse_lines(&path.display().to_string(), &text, &mut records)?;
            }
            Journal::S3 {
                client,
                bucket,
                prefix,
            } => {
                let location = s3_url(bucket, prefix);
                let listed = list_objects(client, bucket, prefix)
                    .await
                    .map_err(|message| StateError::Journal {
                        location: location.clone(),
                        message,
                    })?;
                let listed: HashMap<String, String> = listed
                    .into_iter()
                    .filter(|object| object.key.ends_with(".jsonl"))
                    .map(|object| (object.key, object.etag))
                    .collect();
                cache.objects.retain(|key, (etag, _)| {
                    listed
                        .get(key)
                        .is_some_and(|listed| listed == etag && !etag.is_empty())
                });
                let permits = Arc::new(Semaphore::new(JOURNAL_READ_CONCURRENCY));
                let mut reads: JoinSet<Result<(String, String, String), StateError>> =
                    JoinSet::new();
                for (key, etag) in listed
                    .into_iter()
                    .filter(|(key, _)| !cache.objects.contains_key(key))
                {
                    let (client, permits) = (client.clone(), permits.clone());
                    let origin = s3_url(bucket, &key);
                    let bucket = bucket.clone();
                    reads.spawn(async move {
                        let _permit = permits.acquire_owned().await;
                        let failed = |message: String| StateError::Journal {
                            location: origin.clone(),
                            message,
                        };
                        let output = client
                            .sdk()
                            .get_object()
                            .bucket(&bucket)
                            .key(&key)
                            .send()
                            .await
                            .map_err(|error| {
                                failed(describe_sdk_failure("GetObject", &error, client.endpoint()))
                            })?;
                        let bytes = output
                            .body
                            .collect()
                            .await
                            .map_err(|error| failed(format!("reading the body: {error}")))?;
                        let text = String::from_utf8_lossy(&bytes.into_bytes()).into_owned();
                        Ok((key, etag, text))
                    });
                }
                while let Some(joined) = reads.join_next().await {
                    let (key, etag, text) =
                        joined.map_err(|error| StateError::Task(error.to_string()))??;
                    let mut read = Vec::new();
                    parse_lines(&s3_url(bucket, &key), &text, &mut read)?;
                    cache.fetched += 1;
                    cache.objects.insert(key, (etag, read));
                }
                for (_, object_records) in cache.objects.values() {
                    records.extend(object_records.iter().cloned());
                }
            }
        }
        Ok(JournalHistory::from_records(records))
    }

    /// Appends this run's records; returns where they went.
    pub async fn append(
        &self,
        records: &[JournalRecord],
        now: DateTime<Utc>,
    ) -> Result<String, StateError> {
        let mut text = String::new();
        for record in records {
            let line = serde_json::to_string(record).map_err(|error| StateError::Journal {
                location: "journal record".into(),
                message: error.to_string(),
            })?;
            text.push_str(&line);
            text.push('\n');
        }
        match self {
            Journal::Local(path) => {
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut file| file.write_all(text.as_bytes()).map(|()| file))
                    .map_err(|source| StateError::Local {
                        path: path.clone(),
                        source,
                    })?;
                file.flush().map_err(|source| StateError::Local {
                    path: path.clone(),
                    source,
                })?;
                Ok(path.display().to_string())
            }
            Journal::S3 {
                client,
                bucket,
                prefix,
            } => {
                let key = format!(
                    "{prefix}{}-{}-{:08x}.jsonl",
                    now.format("%Y%m%dT%H%M%S%.6fZ"),
                    std::process::id(),
                    now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(16)
                );
                let origin = s3_url(bucket, &key);
                client
                    .sdk()
                    .put_object()
                    .bucket(bucket)
                    .key(&key)
                    .if_none_match("*")
                    .content_type("application/x-ndjson")
                    .body(text.into_bytes().into())
                    .send()
                    .await
                    .map_err(|error| StateError::Journal {
                        location: origin.clone(),
                        message: describe_sdk_failure("PutObject", &error, client.endpoint()),
                    })?;
                Ok(origin)
            }
        }
    }
}

fn parse_lines(
    origin: &str,
    text: &str,
    records: &mut Vec<JournalRecord>,
) -> Result<(), StateError> {
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(line).map_err(|error| StateError::Journal {
            location: format!("{origin}:{}", number + 1),
            message: format!(
                "{error}; expected a JSON object with key, lineage, serial, sha256, etag, resources, seen_at"
            ),
        })?;
        records.push(record);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bad_line_names_the_line_and_the_fields() {
        let mut records = Vec::new();
        let error = parse_lines("journal.jsonl", "\n{\"key\":1}\n", &mut records)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("journal.jsonl:2") && error.contains("lineage"),
            "{error}"
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,200}") {
            let mut records = Vec::new();
            let _ = parse_lines("fuzz", &text, &mut records);
        }
    }
}
