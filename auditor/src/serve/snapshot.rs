//! What one complete audit cycle found: the report every endpoint reads. A
//! snapshot is built whole and then swapped in, so no reader ever sees a
//! half-finished cycle.

use chrono::{DateTime, Utc};
use guardrail_core::lock::LockRecord;
use serde::Serialize;

use crate::findings::{Finding, Severity};

/// A finding and the environment it belongs to.
#[derive(Debug, Clone)]
pub struct EnvFinding {
    pub environment: String,
    pub finding: Finding,
}

/// One record of the gate's audit trail, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TrailEntry {
    pub environment: String,
    /// The record's key in the store (`audit/<env>/<sequence>.json`).
    pub key: String,
    pub sequence: u64,
    pub plan_id: String,
    pub action: String,
    pub decision: String,
    pub who: String,
    pub at: DateTime<Utc>,
    pub reasons: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass_ticket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass_reason: Option<String>,
}

impl TrailEntry {
    pub fn is_apply(&self) -> bool {
        self.action == "gate" && self.decision.starts_with("allowed")
    }
}

/// A state object as last read.
#[derive(Debug, Clone, Serialize)]
pub struct StateSummary {
    pub environment: String,
    pub origin: String,
    pub lineage: String,
    pub serial: u64,
    pub resources: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<DateTime<Utc>>,
}

/// A Terraform lockfile beside a state.
#[derive(Debug, Clone, Serialize)]
pub struct StateLockSummary {
    pub environment: String,
    pub origin: String,
    pub who: String,
    pub operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    pub stale: bool,
}

/// Attestations of one environment by state.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AttestationCounts {
    pub issued: usize,
    pub spent: usize,
    pub expired_unused: usize,
    /// Unspent and expiring within the next hour.
    pub expiring_soon: usize,
}

/// What the store says of one environment.
#[derive(Debug, Clone, Default)]
pub struct EnvironmentData {
    pub name: String,
    /// The guardrail lock (freeze) and its key, when one was ever written.
    pub lock: Option<LockRecord>,
    pub lock_key: Option<String>,
    pub trail: Vec<TrailEntry>,
    pub attestations: AttestationCounts,
    /// When a cycle last audited this environment (events re-audit one alone).
    pub audited_at: Option<DateTime<Utc>>,
    /// What the drift checks said, when one is configured.
    pub drift: Option<super::drift::DriftSummary>,
}

/// One complete cycle.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub generated_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub findings: Vec<EnvFinding>,
    pub environments: Vec<EnvironmentData>,
    pub states: Vec<StateSummary>,
    pub state_locks: Vec<StateLockSummary>,
    pub objects_listed: usize,
    pub objects_fetched: usize,
    /// The store location findings are addressed under, when one is audited.
    pub store_location: Option<String>,
}

impl Snapshot {
    pub fn environment(&self, name: &str) -> Option<&EnvironmentData> {
        self.environments.iter().find(|env| env.name == name)
    }

    /// Unwaived findings of `environment` by severity.
    pub fn open_findings(
        &self,
        environment: &str,
    ) -> std::collections::BTreeMap<&'static str, usize> {
        let mut counts: std::collections::BTreeMap<&'static str, usize> =
            Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for finding in self
            .findings
            .iter()
            .filter(|f| f.environment == environment && !f.finding.waived)
        {
            *counts.entry(finding.finding.severity.as_str()).or_default() += 1;
        }
        counts
    }

    /// Carries what `previous` said of `environment` into this snapshot, as a
    /// cycle that does not audit it does.
    pub fn keep(&mut self, previous: &Snapshot, environment: &str) {
        self.findings.extend(
            previous
                .findings
                .iter()
                .filter(|f| f.environment == environment)
                .cloned(),
        );
        self.states.extend(
            previous
                .states
                .iter()
                .filter(|s| s.environment == environment)
                .cloned(),
        );
        self.state_locks.extend(
            previous
                .state_locks
                .iter()
                .filter(|l| l.environment == environment)
                .cloned(),
        );
        if let Some(data) = previous.environment(environment) {
            self.environments.push(data.clone());
        }
    }

    /// Every trail entry, oldest first.
    pub fn trail(&self) -> impl Iterator<Item = &TrailEntry> {
        self.environments.iter().flat_map(|env| env.trail.iter())
    }
}
