//! Drift in the cycle, per environment: live, the states' `hcloud_*` resources
//! compared with the Hetzner Cloud API ([`crate::drift::live`], as `tfaudit
//! drift --state`), and from the refresh-only plans CI uploads under an S3
//! prefix ([`crate::drift::refresh`], as `tfaudit drift --refresh-plan`), each
//! plan fetched only when its ETag changed. Neither ever fails the cycle: an
//! API that does not answer, or a plan that cannot be read, is said in the
//! environment's drift summary, and the other findings stand. The token is
//! held by the client and never appears in a message.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::settings::{EnvironmentSettings, Settings};
use crate::drift::ignore::IgnoreList;
use crate::drift::live::{self, Selector};
use crate::drift::refresh;
use crate::findings::Finding;
use crate::hcloud;
use crate::state::source::{self, LoadedState};
use crate::state::target::{s3_url, Target};

/// What the drift checks of one environment said, as the API shows it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RefreshSummary>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LiveSummary {
    /// `checked` or `failed`.
    pub status: &'static str,
    pub resources_checked: usize,
    pub cloud_objects: usize,
    /// The label selector of `drift/unmanaged`, or why there was none.
    pub unmanaged_selector: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RefreshSummary {
    pub location: String,
    pub plans: usize,
    /// Resources with drift in the plans (before the ignore lists).
    pub drifted: usize,
    /// Plans that could not be listed, fetched or read, with why.
    pub unreadable: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One plan as last read.
#[derive(Debug, Clone)]
enum Plan {
    Read {
        findings: Vec<Finding>,
        drifted: usize,
    },
    Unreadable(String),
}

/// The drift checks and the plans already read, by environment.
pub struct DriftReader {
    live: Option<hcloud::Client>,
    ignore: IgnoreList,
    timeout: Duration,
    object_timeout: Duration,
    plans: HashMap<String, HashMap<String, (String, Plan)>>,
}

impl DriftReader {
    pub fn new(settings: &Settings) -> Result<DriftReader, super::ServeError> {
        let live = match &settings.hcloud {
            Some(api) => Some(
                hcloud::Client::new(
                    &api.endpoint,
                    api.token.expose().to_owned(),
                    hcloud::ClientOptions::default(),
                )
                .map_err(|error| super::ServeError::Usage(error.to_string()))?,
            ),
            None => None,
        };
        Ok(DriftReader {
            live,
            ignore: IgnoreList::new(Default::default()),
            timeout: settings.cycle_timeout / 2,
            object_timeout: settings.object_timeout,
            plans: HashMap::new(),
        })
    }

    /// Whether states must keep the values of the resources live drift reads.
    pub fn live(&self) -> bool {
        self.live.is_some()
    }

    /// Drift of one environment over its `states` (read with their hcloud
    /// values when [`DriftReader::live`]); `fetched` counts plans fetched.
    pub async fn environment(
        &mut self,
        s3: &guardrail_core::store::S3Client,
        environment: &EnvironmentSettings,
        states: &[LoadedState],
        fetched: &mut usize,
    ) -> (Vec<Finding>, Option<DriftSummary>) {
        if self.live.is_none() && environment.refresh_plans.is_none() {
            return (Vec::new(), None);
        }
        let mut findings = Vec::new();
        let mut summary = DriftSummary::default();
        if let Some(client) = &self.live {
            let compared = tokio::time::timeout(
                self.timeout,
                live::compare(
                    client,
                    states,
                    environment.label_selector.as_deref(),
                    &self.ignore,
                ),
            )
            .await;
            summary.live = Some(match compared {
                Ok(Ok(drift)) => {
                    findings.extend(drift.findings);
                    LiveSummary {
                        status: "checked",
                        resources_checked: drift.checked,
                        cloud_objects: drift.cloud_objects,
                        unmanaged_selector: match drift.selector {
                            Selector::Given(selector) => selector,
                            Selector::Derived(selector) => {
                                format!("{selector} (shared by the managed servers)")
                            }
                            Selector::None(reason) => format!("none: {reason}"),
                        },
                        error: None,
                    }
                }
                Ok(Err(error)) => failed_live(error.to_string(), &environment.name),
                Err(_) => failed_live(
                    format!(
                        "the Hetzner Cloud API did not answer within {}s",
                        self.timeout.as_secs()
                    ),
                    &environment.name,
                ),
            });
        }
        if let Some(Target::S3Prefix { bucket, prefix }) = &environment.refresh_plans {
            let known = self.plans.entry(environment.name.clone()).or_default();
            let read = plans(
                s3,
                bucket,
                prefix,
                known,
                &self.ignore,
                self.object_timeout,
                fetched,
            )
            .await;
            findings.extend(read.1);
            summary.refresh = Some(read.0);
        }
        (findings, Some(summary))
    }
}

fn failed_live(error: String, environment: &str) -> LiveSummary {
    tracing::warn!(environment, %error, "live drift check failed");
    LiveSummary {
        status: "failed",
        error: Some(error),
        ..LiveSummary::default()
    }
}

/// Lists the prefix, reads the `.json` objects that are new or changed, and
/// returns the summary and the findings of every plan.
async fn plans(
    s3: &guardrail_core::store::S3Client,
    bucket: &str,
    prefix: &str,
    known: &mut HashMap<String, (String, Plan)>,
    ignore: &IgnoreList,
    timeout: Duration,
    fetched: &mut usize,
) -> (RefreshSummary, Vec<Finding>) {
    let location = s3_url(bucket, prefix);
    let mut summary = RefreshSummary {
        location: location.clone(),
        ..RefreshSummary::default()
    };
    let listed = match source::list_objects(s3, bucket, prefix).await {
        Ok(listed) => listed,
        Err(message) => {
            tracing::warn!(%location, error = %message, "cannot list the refresh-only plans");
            summary.error = Some(format!("cannot list: {message}"));
            return (summary, Vec::new());
        }
    };
    let listed: Vec<_> = listed
        .into_iter()
        .filter(|object| object.key.ends_with(".json"))
        .collect();
    known.retain(|origin, _| listed.iter().any(|o| s3_url(bucket, &o.key) == *origin));
    let mut findings = Vec::new();
    for object in listed {
        let origin = s3_url(bucket, &object.key);
        let unchanged = known
            .get(&origin)
            .is_some_and(|(etag, _)| !etag.is_empty() && *etag == object.etag);
        if !unchanged {
            *fetched += 1;
            let got =
                tokio::time::timeout(timeout, source::get_object(s3, bucket, &object.key)).await;
            // A plan whose bytes were read is kept until its ETag changes; one
            // that could not be fetched is fetched again next cycle.
            let read = match got {
                Err(_) => Some((
                    String::new(),
                    Plan::Unreadable(format!("no answer within {}s", timeout.as_secs())),
                )),
                Ok(Err(message)) => Some((String::new(), Plan::Unreadable(message))),
                Ok(Ok(None)) => None,
                Ok(Ok(Some(raw))) => Some((
                    object.etag.clone(),
                    match refresh::from_bytes(&raw.bytes, Path::new(&origin), ignore) {
                        Ok(drift) => Plan::Read {
                            findings: drift.findings,
                            drifted: drift.drifted,
                        },
                        Err(error) => Plan::Unreadable(error.to_string()),
                    },
                )),
            };
            match read {
                Some(read) => {
                    known.insert(origin.clone(), read);
                }
                None => {
                    known.remove(&origin);
                }
            }
        }
        match known.get(&origin) {
            Some((
                _,
                Plan::Read {
                    findings: plan,
                    drifted,
                },
            )) => {
                summary.plans += 1;
                summary.drifted += drifted;
                findings.extend(plan.iter().cloned());
            }
            Some((_, Plan::Unreadable(reason))) => {
                summary.unreadable.push(format!("{origin}: {reason}"));
            }
            None => {}
        }
    }
    (summary, findings)
}
