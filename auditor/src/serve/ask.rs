//! `POST /api/v1/ask`: answers to the questions asked during an incident,
//! built from the snapshot alone (no language model), each citing the objects
//! it read: store keys, state keys with their serials, record sequences.

use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::settings::Settings;
use super::snapshot::Snapshot;
use crate::findings::Severity;

/// The questions answered, with ENV standing for an environment name.
pub const QUESTIONS: [&str; 5] = [
    "why is ENV frozen?",
    "who applied to ENV last and with which plan?",
    "what changed in ENV since yesterday?",
    "is it safe to apply to ENV now?",
    "which locks are stale?",
];

fn answered(
    question: &str,
    kind: &str,
    environment: Option<&str>,
    answer: String,
    cites: Vec<Value>,
) -> Value {
    json!({"question": question, "answered": true, "kind": kind,
           "environment": environment, "answer": answer, "cites": cites})
}

/// The answer to `question`, or the list of answerable questions.
pub fn answer(
    snapshot: &Snapshot,
    settings: &Settings,
    question: &str,
    now: DateTime<Utc>,
) -> Value {
    let text = question.to_lowercase();
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let environment = settings
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .find(|name| words.contains(name));
    let has = |word: &str| words.contains(&word);
    if has("stale") && (has("lock") || has("locks")) {
        return stale_locks(snapshot, question);
    }
    if let Some(env) = environment {
        if has("frozen") || has("freeze") || has("locked") {
            return frozen(snapshot, question, env, now);
        }
        if has("who") && (has("applied") || has("apply")) {
            return last_apply(snapshot, question, env);
        }
        if has("changed") || has("change") {
            return changed(snapshot, question, env, now - Duration::hours(24));
        }
        if has("safe") {
            return safe(snapshot, settings, question, env, now);
        }
    }
    let environments: Vec<&str> = settings
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    json!({"question": question, "answered": false,
           "answer": "I cannot answer that; these are the questions I can answer (ENV is one of the environments).",
           "questions": QUESTIONS, "environments": environments})
}

fn frozen(snapshot: &Snapshot, question: &str, env: &str, now: DateTime<Utc>) -> Value {
    let data = snapshot.environment(env);
    let Some(lock) = data.and_then(|d| d.lock.as_ref()) else {
        return answered(
            question,
            "freeze",
            Some(env),
            format!("{env} is not frozen: no lock has ever been taken."),
            vec![],
        );
    };
    let key = data.and_then(|d| d.lock_key.clone()).unwrap_or_default();
    let mut cites = vec![json!({"key": key, "generation": lock.generation})];
    let record = data.and_then(|d| {
        d.trail
            .iter()
            .rev()
            .find(|t| t.action.starts_with("lock-") && t.action != "lock-release")
    });
    if let Some(record) = record {
        cites.push(json!({"key": record.key, "sequence": record.sequence}));
    }
    let text = if lock.is_live(now) {
        let until = lock
            .expires_at
            .map(|e| {
                format!(
                    "until {}",
                    e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                )
            })
            .unwrap_or_else(|| "until it is released".into());
        format!(
            "{env} is frozen by {} since {}, {until}: \"{}\" (lock generation {}).",
            lock.owner,
            lock.acquired_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            lock.reason,
            lock.generation
        )
    } else {
        format!(
            "{env} is not frozen: the last lock (by {}, \"{}\") is {}.",
            lock.owner,
            lock.reason,
            lock.status(now)
        )
    };
    answered(question, "freeze", Some(env), text, cites)
}

fn last_apply(snapshot: &Snapshot, question: &str, env: &str) -> Value {
    let last = snapshot
        .environment(env)
        .and_then(|d| d.trail.iter().rev().find(|t| t.is_apply()));
    match last {
        None => answered(
            question,
            "last-apply",
            Some(env),
            format!("No apply to {env} is recorded in the audit trail."),
            vec![],
        ),
        Some(record) => {
            let glass = record
                .break_glass_ticket
                .as_ref()
                .map(|t| format!(" under break glass (ticket {t})"))
                .unwrap_or_default();
            answered(
                question,
                "last-apply",
                Some(env),
                format!(
                    "{} applied to {env} last, at {}, with plan {}{glass} (decision {}).",
                    record.who,
                    record.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    record.plan_id,
                    record.decision
                ),
                vec![
                    json!({"key": record.key, "sequence": record.sequence, "plan_id": record.plan_id}),
                ],
            )
        }
    }
}

fn changed(snapshot: &Snapshot, question: &str, env: &str, since: DateTime<Utc>) -> Value {
    let mut cites = Vec::new();
    let mut lines = Vec::new();
    for state in snapshot
        .states
        .iter()
        .filter(|s| s.environment == env && s.last_modified.is_some_and(|m| m >= since))
    {
        lines.push(format!(
            "state {} is now at serial {}",
            state.origin, state.serial
        ));
        cites.push(json!({"key": state.origin, "serial": state.serial}));
    }
    for record in snapshot
        .environment(env)
        .map(|d| d.trail.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|t| t.at >= since)
    {
        lines.push(format!(
            "{} {} by {} (plan {})",
            record.action, record.decision, record.who, record.plan_id
        ));
        cites.push(json!({"key": record.key, "sequence": record.sequence}));
    }
    let text = if lines.is_empty() {
        format!(
            "Nothing changed in {env} since {}.",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    } else {
        format!(
            "Since {} in {env}: {}.",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            lines.join("; ")
        )
    };
    answered(question, "changes", Some(env), text, cites)
}

fn safe(
    snapshot: &Snapshot,
    settings: &Settings,
    question: &str,
    env: &str,
    now: DateTime<Utc>,
) -> Value {
    let mut blockers = Vec::new();
    let mut cites = Vec::new();
    let data = snapshot.environment(env);
    if let Some(lock) = data
        .and_then(|d| d.lock.as_ref())
        .filter(|l| l.is_live(now))
    {
        blockers.push(format!(
            "it is frozen by {} (\"{}\")",
            lock.owner, lock.reason
        ));
        cites.push(
            json!({"key": data.and_then(|d| d.lock_key.clone()), "generation": lock.generation}),
        );
    }
    let window = settings
        .environments
        .iter()
        .find(|e| e.name == env)
        .and_then(|e| e.window.as_ref());
    if let Some(window) = window {
        let status = window.status_at(now);
        if !status.open {
            let next = status
                .opens_at
                .map(|t| {
                    format!(
                        "; it opens {}",
                        t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    )
                })
                .unwrap_or_default();
            blockers.push(format!(
                "the change window is closed ({}{next})",
                status.reason
            ));
        }
    }
    for f in snapshot.findings.iter().filter(|f| {
        f.environment == env && !f.finding.waived && f.finding.severity >= Severity::High
    }) {
        cites.push(json!({"key": f.finding.address, "rule_id": f.finding.rule_id}));
    }
    let serious = cites.iter().filter(|c| c.get("rule_id").is_some()).count();
    if serious > 0 {
        blockers.push(format!("{serious} open high or critical findings"));
    }
    for lock in snapshot.state_locks.iter().filter(|l| l.environment == env) {
        blockers.push(format!(
            "the state {} is locked by {}",
            lock.origin.trim_end_matches(".tflock"),
            lock.who
        ));
        cites.push(json!({"key": lock.origin}));
    }
    let text = if blockers.is_empty() {
        format!(
            "Yes: {env} is not frozen, its window is open and nothing high or critical is open."
        )
    } else {
        format!("No: {}.", blockers.join("; "))
    };
    let mut value = answered(question, "safe-to-apply", Some(env), text, cites);
    value["safe"] = blockers.is_empty().into();
    value
}

fn stale_locks(snapshot: &Snapshot, question: &str) -> Value {
    let stale: Vec<_> = snapshot.state_locks.iter().filter(|l| l.stale).collect();
    let cites = stale
        .iter()
        .map(|l| json!({"key": l.origin, "who": l.who, "created": l.created.map(|c| c.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))}))
        .collect();
    let text = if stale.is_empty() {
        "No state lock is stale.".to_owned()
    } else {
        let list: Vec<String> = stale
            .iter()
            .map(|l| {
                format!(
                    "{} ({}, held by {} since {})",
                    l.origin,
                    l.environment,
                    l.who,
                    l.created
                        .map(|c| c.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                        .unwrap_or_else(|| "an unknown time".into())
                )
            })
            .collect();
        format!("{} stale: {}.", stale.len(), list.join("; "))
    };
    answered(question, "stale-locks", None, text, cites)
}
