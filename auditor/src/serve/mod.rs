//! `tfaudit serve`: the read-only advisor. It audits state, locks, the audit
//! trail and attestations in a loop, keeps the last complete report, and
//! serves it over HTTP (JSON API, a page for people, Prometheus metrics).
//!
//! * [`settings`] reads `advisor.toml` and its overrides;
//! * [`cache`] reads state buckets incrementally (by ETag), [`guardrail`] the
//!   guardrail store (through [`store_cache`], listed once per cycle),
//!   [`drift`] live and refresh-plan drift, [`cycle`] runs one cycle into a
//!   [`snapshot`];
//! * [`metrics`] holds the SLIs, [`http`] the routes ([`reply`] what they share), [`views`] the JSON
//!   shapes, [`ask`] the answers to incident questions, [`events`] the
//!   webhooks, [`page`] the HTML page and [`llm`] the optional summary.
//!
//! The loop keeps the last complete snapshot: a failed cycle leaves it in place,
//! marked stale, and is retried with backoff.
//!
//! May import: `findings`, `state`, `drift`, `hcloud`, `report`, `redact`, `window_file` and `guardrail_core`; nothing above.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

pub mod ask;
pub mod cache;
pub mod cycle;
pub mod drift;
pub mod events;
pub mod guardrail;
pub mod http;
pub mod llm;
pub mod metrics;
pub mod page;
pub mod reply;
pub mod settings;
pub mod snapshot;
pub mod store_cache;
pub mod views;

use snapshot::Snapshot;

/// Problems that stop the advisor before it serves (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{file}: field `{field}`: expected {expected}")]
    Config {
        file: String,
        field: String,
        expected: String,
    },
    /// The file is not valid TOML of the advisor: toml names the field.
    #[error("{file}:{line}: {message}")]
    ConfigSyntax {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Usage(String),
    #[error("cannot listen on {address}: {message}")]
    Listen { address: String, message: String },
}

/// Why the served report is stale.
#[derive(Debug, Clone)]
pub struct Failure {
    pub since: DateTime<Utc>,
    pub reason: &'static str,
    pub message: String,
}

/// What every request reads.
pub struct App {
    pub settings: settings::Settings,
    pub metrics: metrics::Metrics,
    current: RwLock<Option<Arc<Snapshot>>>,
    failure: RwLock<Option<Failure>>,
    wake: Notify,
    /// The environments events asked to re-audit since the last cycle began.
    pending: std::sync::Mutex<Pending>,
    /// The rendered report of the current snapshot and staleness.
    report: std::sync::Mutex<Option<(ReportKey, bytes::Bytes)>>,
}

/// What events asked for: some environments, or all.
#[derive(Debug, Default)]
struct Pending {
    all: bool,
    environments: std::collections::BTreeSet<String>,
}

/// What a rendered report depends on: the snapshot and when it went stale.
type ReportKey = (DateTime<Utc>, Option<DateTime<Utc>>);

impl App {
    pub fn new(settings: settings::Settings) -> App {
        App {
            settings,
            metrics: metrics::Metrics::new(),
            current: RwLock::new(None),
            failure: RwLock::new(None),
            wake: Notify::new(),
            pending: std::sync::Mutex::new(Pending::default()),
            report: std::sync::Mutex::new(None),
        }
    }

    /// The last complete snapshot.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.current.read().ok().and_then(|guard| guard.clone())
    }

    /// Why the last cycle failed, while it has not succeeded since.
    pub fn failure(&self) -> Option<Failure> {
        self.failure.read().ok().and_then(|guard| guard.clone())
    }

    /// `GET /api/v1/report` as JSON text, rendered once per snapshot and staleness.
    pub fn report_json(&self) -> Option<bytes::Bytes> {
        let snapshot = self.snapshot()?;
        let failure = self.failure();
        let key = (snapshot.generated_at, failure.as_ref().map(|f| f.since));
        if let Ok(cached) = self.report.lock() {
            if let Some((cached_key, text)) = cached.as_ref() {
                if *cached_key == key {
                    return Some(text.clone());
                }
            }
        }
        let value = views::report(&snapshot, &self.settings, failure.as_ref());
        let text = bytes::Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        if let Ok(mut cached) = self.report.lock() {
            *cached = Some((key, text.clone()));
        }
        Some(text)
    }

    /// Asks for a cycle now over `environment` (all when `None`); many requests
    /// before it starts make one cycle, over the environments they named.
    pub fn wake(&self, environment: Option<String>) {
        if let Ok(mut pending) = self.pending.lock() {
            match environment {
                Some(name) => {
                    pending.environments.insert(name);
                }
                None => pending.all = true,
            }
        }
        self.wake.notify_one();
    }

    /// What events asked for since the last call: nothing (`None`), every
    /// environment (`Some(None)`) or some (`Some(Some(names))`).
    #[allow(clippy::option_option)]
    fn take_pending(&self) -> Option<Option<std::collections::BTreeSet<String>>> {
        let pending = self
            .pending
            .lock()
            .map(|mut pending| std::mem::take(&mut *pending))
            .unwrap_or_default();
        if pending.all {
            Some(None)
        } else if pending.environments.is_empty() {
            None
        } else {
            Some(Some(pending.environments))
        }
    }

    fn publish(&self, snapshot: Snapshot) {
        self.metrics.cycle_done(&snapshot);
        if let Ok(mut guard) = self.current.write() {
            *guard = Some(Arc::new(snapshot));
        }
        if let Ok(mut guard) = self.failure.write() {
            *guard = None;
        }
    }

    fn failed(&self, error: cycle::CycleError) {
        tracing::warn!(reason = error.reason, error = %error.message, "audit cycle failed; serving the last report");
        self.metrics.cycle_failed(error.reason);
        if let Ok(mut guard) = self.failure.write() {
            let since = guard.as_ref().map(|f| f.since).unwrap_or_else(Utc::now);
            *guard = Some(Failure {
                since,
                reason: error.reason,
                message: error.message,
            });
        }
    }
}

/// Coalescing delay after an event: the events of a burst make one cycle.
const EVENT_SETTLE: Duration = Duration::from_millis(300);

/// Runs cycles forever: over every environment every `interval`, at once over
/// the environments events name, and after a failure again (over all) with
/// backoff (1 s doubling, at most the interval).
pub async fn audit_loop(app: Arc<App>, mut auditor: cycle::Auditor) {
    let interval = app.settings.interval;
    let timeout = app.settings.cycle_timeout;
    let mut failures: u32 = 0;
    let mut only: Option<std::collections::BTreeSet<String>> = None;
    let mut next_full = tokio::time::Instant::now();
    loop {
        let previous = app.snapshot();
        let cycle = auditor.cycle(previous.as_deref(), only.as_ref());
        let outcome = match tokio::time::timeout(timeout, cycle).await {
            Ok(outcome) => outcome,
            Err(_) => Err(cycle::CycleError {
                reason: "timeout",
                message: format!("the cycle did not finish within {}s", timeout.as_secs()),
            }),
        };
        let until = match outcome {
            Ok(snapshot) => {
                tracing::info!(
                    environments = only
                        .as_ref()
                        .map(|names| names.iter().cloned().collect::<Vec<_>>().join(","))
                        .unwrap_or_else(|| "(all)".to_owned()),
                    findings = snapshot.findings.len(),
                    listed = snapshot.objects_listed,
                    fetched = snapshot.objects_fetched,
                    duration_ms = snapshot.duration_ms,
                    "audit cycle complete"
                );
                failures = 0;
                if only.is_none() || previous.is_none() {
                    next_full = tokio::time::Instant::now() + interval;
                }
                app.publish(snapshot);
                next_full
            }
            Err(error) => {
                app.failed(error);
                failures = failures.saturating_add(1);
                let backoff =
                    Duration::from_secs(1u64 << failures.min(10).saturating_sub(1)).min(interval);
                tokio::time::Instant::now() + backoff
            }
        };
        // A wake-up whose events an earlier cycle already took asks for nothing.
        only = loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break None,
                _ = app.wake.notified() => {
                    tokio::time::sleep(EVENT_SETTLE).await;
                    if let Some(asked) = app.take_pending() {
                        break asked;
                    }
                }
            }
        };
    }
}

/// Connects, binds and serves until SIGTERM or Ctrl-C; then closes the listener,
/// drops the cycle in flight and returns.
pub async fn run(settings: settings::Settings) -> Result<(), ServeError> {
    let listen = settings.listen;
    let auditor = cycle::Auditor::connect(settings.clone()).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|error| ServeError::Listen {
            address: listen.to_string(),
            message: error.to_string(),
        })?;
    let bound = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    tracing::info!(address = %bound, "advisor listening");
    eprintln!("tfaudit serve: listening on http://{bound}");
    let app = Arc::new(App::new(settings));
    let cycles = tokio::spawn(audit_loop(app.clone(), auditor));
    let router = http::router(app);
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    cycles.abort();
    served.map_err(|error| ServeError::Listen {
        address: bound,
        message: error.to_string(),
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
