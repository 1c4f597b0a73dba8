//! The JSON the API answers with, built from a [`Snapshot`] at request time
//! (a change window's open or closed is a question of now, not of the cycle).

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::settings::Settings;
use super::snapshot::{EnvFinding, Snapshot, TrailEntry};
use super::Failure;
use crate::findings::{Finding, RuleInfo, Severity};
use crate::report::{json as report_json, Report};

/// Every rule a report of the advisor may hold.
pub fn rules() -> Vec<RuleInfo> {
    crate::state::rules::infos()
        .into_iter()
        .chain(crate::state::trail::INFOS)
        .collect()
}

/// One finding as `tfaudit state --format json` writes it, with its environment.
pub fn finding(entry: &EnvFinding) -> Value {
    let mut value = serde_json::to_value(&entry.finding).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("environment".into(), entry.environment.clone().into());
    }
    value
}

fn sorted(findings: &[EnvFinding]) -> Vec<&EnvFinding> {
    let mut sorted: Vec<&EnvFinding> = findings.iter().collect();
    sorted.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.finding.address.cmp(&b.finding.address))
            .then_with(|| a.finding.rule_id.cmp(b.finding.rule_id))
    });
    sorted
}

fn freshness(map: &mut Map<String, Value>, snapshot: &Snapshot, failure: Option<&Failure>) {
    map.insert(
        "generated_at".into(),
        snapshot.generated_at.to_rfc3339().into(),
    );
    map.insert(
        "stale_since".into(),
        failure.map(|f| f.since.to_rfc3339()).into(),
    );
    if let Some(failure) = failure {
        map.insert(
            "last_error".into(),
            json!({"reason": failure.reason, "message": failure.message}),
        );
    }
}

/// `GET /api/v1/report`
pub fn report(snapshot: &Snapshot, settings: &Settings, failure: Option<&Failure>) -> Value {
    let findings: Vec<Finding> = snapshot
        .findings
        .iter()
        .map(|f| f.finding.clone())
        .collect();
    let mut summary = Map::new();
    summary.insert("states".into(), snapshot.states.len().into());
    summary.insert("locks".into(), snapshot.state_locks.len().into());
    summary.insert("environments".into(), snapshot.environments.len().into());
    summary.insert("objects_listed".into(), snapshot.objects_listed.into());
    summary.insert("objects_fetched".into(), snapshot.objects_fetched.into());
    summary.insert("duration_ms".into(), snapshot.duration_ms.into());
    let subject = settings
        .environments
        .iter()
        .map(|env| env.name.clone())
        .collect::<Vec<_>>()
        .join(" ");
    let report = Report {
        command: "state",
        subject,
        summary,
        findings,
        rules: rules(),
        fail_on: None,
        configuration: None,
        options: Default::default(),
    };
    let mut value = report_json::to_value(&report);
    if let Value::Object(map) = &mut value {
        map.insert(
            "findings".into(),
            sorted(&snapshot.findings)
                .into_iter()
                .map(finding)
                .collect(),
        );
        freshness(map, snapshot, failure);
    }
    value
}

/// The severity a `severity=` query names.
pub fn parse_severity(text: &str) -> Option<Severity> {
    Severity::ALL.into_iter().find(|s| s.as_str() == text)
}

/// `GET /api/v1/findings`
pub fn findings(
    snapshot: &Snapshot,
    failure: Option<&Failure>,
    severity: Option<Severity>,
    rule: Option<&str>,
    environment: Option<&str>,
) -> Value {
    let selected: Vec<Value> = sorted(&snapshot.findings)
        .into_iter()
        .filter(|f| severity.is_none_or(|s| f.finding.severity == s))
        .filter(|f| rule.is_none_or(|r| f.finding.rule_id == r))
        .filter(|f| environment.is_none_or(|e| f.environment == e))
        .map(finding)
        .collect();
    let mut map = Map::new();
    map.insert("count".into(), selected.len().into());
    map.insert("findings".into(), selected.into());
    freshness(&mut map, snapshot, failure);
    Value::Object(map)
}

/// `GET /api/v1/trail`
pub fn trail(
    snapshot: &Snapshot,
    environment: Option<&str>,
    since: Option<DateTime<Utc>>,
    decision: Option<&str>,
) -> Value {
    let mut entries: Vec<&TrailEntry> = snapshot
        .trail()
        .filter(|t| environment.is_none_or(|e| t.environment == e))
        .filter(|t| since.is_none_or(|s| t.at >= s))
        .filter(|t| {
            decision.is_none_or(|d| {
                t.decision == d || (d == "break-glass" && t.break_glass_ticket.is_some())
            })
        })
        .collect();
    entries.sort_by_key(|t| std::cmp::Reverse((t.at, t.sequence)));
    json!({"count": entries.len(), "records": entries, "generated_at": snapshot.generated_at.to_rfc3339()})
}

/// One environment: freeze, window, last apply, last break glass, findings.
pub fn environment(
    snapshot: &Snapshot,
    settings: &Settings,
    name: &str,
    now: DateTime<Utc>,
) -> Value {
    let data = snapshot.environment(name);
    let lock = data.and_then(|d| d.lock.as_ref());
    let frozen = lock.is_some_and(|l| l.is_live(now));
    let freeze = lock.map(|l| {
        json!({
            "status": l.status(now).to_string(),
            "by": l.owner, "reason": l.reason,
            "since": l.acquired_at.to_rfc3339(),
            "until": l.expires_at.map(|e| e.to_rfc3339()),
            "generation": l.generation,
            "key": data.and_then(|d| d.lock_key.clone()),
        })
    });
    let window = settings
        .environments
        .iter()
        .find(|e| e.name == name)
        .and_then(|e| e.window.as_ref())
        .map(|w| {
            let status = w.status_at(now);
            json!({"open": status.open, "reason": status.reason,
                   "opens_at": status.opens_at.map(|t| t.to_rfc3339()),
                   "closes_at": status.closes_at.map(|t| t.to_rfc3339())})
        });
    let trail = data.map(|d| d.trail.as_slice()).unwrap_or_default();
    let last_apply = trail.iter().rev().find(|t| t.is_apply());
    let last_break_glass = trail.iter().rev().find(|t| t.break_glass_ticket.is_some());
    let stale_locks: Vec<&str> = snapshot
        .state_locks
        .iter()
        .filter(|l| l.environment == name && l.stale)
        .map(|l| l.origin.as_str())
        .collect();
    json!({
        "name": name,
        "frozen": frozen,
        "freeze": freeze,
        "window": window,
        "last_apply": last_apply,
        "last_break_glass": last_break_glass,
        "open_findings": snapshot.open_findings(name),
        "attestations": data.map(|d| &d.attestations),
        "stale_locks": stale_locks,
        "states": snapshot.states.iter().filter(|s| s.environment == name).count(),
        "audited_at": data.and_then(|d| d.audited_at).map(|t| t.to_rfc3339()),
        "drift": data.and_then(|d| d.drift.as_ref()),
    })
}

/// `GET /api/v1/environments`
pub fn environments(
    snapshot: &Snapshot,
    settings: &Settings,
    failure: Option<&Failure>,
    now: DateTime<Utc>,
) -> Value {
    let list: Vec<Value> = settings
        .environments
        .iter()
        .map(|e| environment(snapshot, settings, &e.name, now))
        .collect();
    let mut map = Map::new();
    map.insert("environments".into(), list.into());
    freshness(&mut map, snapshot, failure);
    Value::Object(map)
}
