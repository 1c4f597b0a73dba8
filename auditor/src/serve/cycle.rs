//! One audit cycle over every environment, or over the environments an event
//! named: states (incrementally, see [`super::cache`]), every state rule with
//! the journal (incrementally too), the guardrail store (listed once, see
//! [`super::store_cache`]) and drift ([`super::drift`]). The environments a cycle does not audit keep what
//! the previous snapshot said of them. A cycle either completes into a
//! [`Snapshot`] or fails as a whole with the reason it failed; a single bad
//! object is a finding, never a failure.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use chrono::Utc;
use guardrail_core::store::{Store, StoreConfig};

use super::cache::{Cache, Entry};
use super::drift::DriftReader;
use super::settings::Settings;
use super::snapshot::{EnvFinding, EnvironmentData, Snapshot, StateLockSummary, StateSummary};
use super::store_cache::CachedStore;
use crate::state::journal::{Journal, JournalCache, JournalHistory};
use crate::state::{rules, AuditInput};

/// Why a cycle failed; `reason` is a metric label (a fixed word, never a value).
#[derive(Debug, Clone)]
pub struct CycleError {
    pub reason: &'static str,
    pub message: String,
}

/// The connections a cycle uses, made once, and what the previous cycles read.
pub struct Auditor {
    settings: Settings,
    client: guardrail_core::store::S3Client,
    store: Option<CachedStore>,
    journal: Option<Journal>,
    journal_cache: JournalCache,
    /// One state cache per environment, so that a cycle over some
    /// environments never forgets the objects of the others.
    caches: HashMap<String, Cache>,
    drift: DriftReader,
}

impl Auditor {
    pub async fn connect(settings: Settings) -> Result<Auditor, super::ServeError> {
        let endpoint = settings.endpoint.as_deref();
        let client = guardrail_core::store::connect(
            &guardrail_core::store::S3Settings::with_endpoint(endpoint),
        )
        .await;
        let store = match &settings.guardrail_store {
            Some(url) => {
                let mut config = StoreConfig::from_url(url).map_err(|problem| {
                    super::ServeError::Usage(format!("guardrail_store `{url}`: {problem}"))
                })?;
                config.endpoint = settings.endpoint.clone();
                let store = Store::connect(&config)
                    .await
                    .map_err(|error| super::ServeError::Usage(error.to_string()))?;
                Some(CachedStore::new(store, client.clone()))
            }
            None => None,
        };
        let journal = match &settings.journal {
            Some(spec) => Some(
                Journal::open(spec, endpoint)
                    .await
                    .map_err(|error| super::ServeError::Usage(format!("journal: {error}")))?,
            ),
            None => None,
        };
        let drift = DriftReader::new(&settings)?;
        Ok(Auditor {
            drift,
            settings,
            client,
            store,
            journal,
            journal_cache: JournalCache::default(),
            caches: HashMap::new(),
        })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs one cycle: over the environments of `only` (those configured), or
    /// over all when `only` is `None` or there is no `previous` snapshot to
    /// take the others from.
    pub async fn cycle(
        &mut self,
        previous: Option<&Snapshot>,
        only: Option<&BTreeSet<String>>,
    ) -> Result<Snapshot, CycleError> {
        let started = Instant::now();
        let now = Utc::now();
        let audited = |name: &str| match (previous, only) {
            (Some(_), Some(only)) => only.contains(name),
            _ => true,
        };
        let fetched_before = self.journal_cache.fetched;
        let history = match &self.journal {
            Some(journal) => journal
                .history_with(&mut self.journal_cache)
                .await
                .map_err(|error| CycleError {
                    reason: "journal",
                    message: error.to_string(),
                })?,
            None => JournalHistory::default(),
        };
        let mut snapshot = Snapshot {
            generated_at: now,
            duration_ms: 0,
            findings: Vec::new(),
            environments: Vec::new(),
            states: Vec::new(),
            state_locks: Vec::new(),
            objects_listed: 0,
            objects_fetched: 0,
            store_location: self
                .store
                .as_ref()
                .map(|store| format!("s3://{}/{}", store.bucket(), store.prefix())),
        };
        snapshot.objects_fetched += self.journal_cache.fetched - fetched_before;
        if let Some(store) = &self.store {
            snapshot.objects_listed += store.refresh().await.map_err(|message| CycleError {
                reason: "store",
                message,
            })?;
        }
        for environment in &self.settings.environments {
            let name = &environment.name;
            if !audited(name) {
                if let Some(previous) = previous {
                    snapshot.keep(previous, name);
                }
                continue;
            }
            let mut keep = HashSet::new();
            let cache = self.caches.entry(name.clone()).or_default();
            let read = cache
                .read(
                    &self.client,
                    &environment.targets,
                    self.settings.concurrency,
                    self.settings.object_timeout,
                    self.drift.live(),
                    &mut keep,
                )
                .await
                .map_err(|failure| CycleError {
                    reason: "list",
                    message: format!(
                        "{}: cannot list objects: {}",
                        failure.location, failure.message
                    ),
                })?;
            snapshot.objects_listed += read.listed;
            snapshot.objects_fetched += read.fetched;
            let (mut states, mut unreadable, mut locks, mut findings) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut per_state_findings = std::collections::HashMap::new();
            for entry in read.entries {
                match entry {
                    Entry::State(state, per_state) => {
                        findings.extend(per_state.iter().cloned());
                        per_state_findings.insert(state.origin.clone(), per_state);
                        states.push(*state);
                    }
                    Entry::Unreadable(object) => unreadable.push(object),
                    Entry::Lock(lock) => locks.push(lock),
                }
            }
            states.sort_by(|a, b| a.origin.cmp(&b.origin));
            unreadable.sort_by(|a, b| a.origin.cmp(&b.origin));
            locks.sort_by(|a, b| a.origin.cmp(&b.origin));
            let input = AuditInput {
                states: &states,
                unreadable: &unreadable,
                locks: &locks,
                history: &history,
                now,
                stale_lock_after: self.settings.stale_lock_after,
            };
            findings.extend(rules::across_states(&input));
            snapshot
                .states
                .extend(states.iter().map(|state| StateSummary {
                    environment: name.clone(),
                    origin: state.origin.clone(),
                    lineage: state.state.lineage.clone(),
                    serial: state.state.serial,
                    resources: state.state.instance_count(),
                    last_modified: state.last_modified,
                }));
            let stale_after = chrono::Duration::from_std(self.settings.stale_lock_after)
                .unwrap_or(chrono::Duration::MAX);
            snapshot
                .state_locks
                .extend(locks.iter().map(|lock| StateLockSummary {
                    environment: name.clone(),
                    origin: lock.origin.clone(),
                    who: lock.info.who.clone(),
                    operation: lock.info.operation.clone(),
                    created: lock.created(),
                    stale: lock.created().is_some_and(|at| now - at > stale_after),
                }));
            let (drift_findings, drift) = self
                .drift
                .environment(
                    &self.client,
                    environment,
                    &states,
                    &mut snapshot.objects_fetched,
                )
                .await;
            findings.extend(drift_findings);
            cache.give_back(states, per_state_findings, read.lent);
            cache.retain(&keep);
            let data = match &self.store {
                Some(store) => {
                    let read =
                        super::guardrail::read(store, name, now)
                            .await
                            .map_err(|message| CycleError {
                                reason: "store",
                                message,
                            })?;
                    findings.extend(read.findings);
                    snapshot.objects_fetched += store.take_fetched();
                    read.data
                }
                None => EnvironmentData {
                    name: name.clone(),
                    ..EnvironmentData::default()
                },
            };
            snapshot.environments.push(EnvironmentData {
                audited_at: Some(now),
                drift,
                ..data
            });
            snapshot
                .findings
                .extend(findings.into_iter().map(|finding| EnvFinding {
                    environment: name.clone(),
                    finding,
                }));
        }
        snapshot.duration_ms = started.elapsed().as_millis() as u64;
        Ok(snapshot)
    }
}
