//! The page at `/`: environments with their freeze, window and drift, findings by
//! severity with their rule's help, stale locks and the recent trail. Plain
//! server-rendered HTML, readable without JavaScript; every value is escaped.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use super::drift::DriftSummary;
use super::settings::Settings;
use super::snapshot::Snapshot;
use super::Failure;
use crate::findings::Severity;
use crate::report::markdown::html as escape;

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}\
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
.frozen{background:#fde2e2;font-weight:bold}.open{background:#e3f6e3}.stale{background:#fff3cd}\
.critical{color:#a00;font-weight:bold}.high{color:#c50}small{color:#666}";

/// The whole page.
pub fn render(
    snapshot: Option<&Snapshot>,
    settings: &Settings,
    failure: Option<&Failure>,
    now: DateTime<Utc>,
) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>guardrail advisor</title>\
         <style>{STYLE}</style></head><body><h1>guardrail advisor</h1>"
    );
    let Some(snapshot) = snapshot else {
        html.push_str("<p id=\"status\">No complete audit cycle yet.</p></body></html>");
        return html;
    };
    let _ = write!(
        html,
        "<p id=\"status\">Report made at <time>{}</time> in {} ms ({} objects listed, {} fetched).</p>",
        snapshot.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        snapshot.duration_ms,
        snapshot.objects_listed,
        snapshot.objects_fetched
    );
    if let Some(failure) = failure {
        let _ = write!(
            html,
            "<p id=\"stale\" class=\"stale\">STALE: the last cycles failed since {} ({}); this report is the last complete one.</p>",
            failure.since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            escape(failure.reason)
        );
    }
    environments(&mut html, snapshot, settings, now);
    stale_locks(&mut html, snapshot);
    findings(&mut html, snapshot);
    trail(&mut html, snapshot);
    html.push_str("</body></html>");
    html
}

fn environments(html: &mut String, snapshot: &Snapshot, settings: &Settings, now: DateTime<Utc>) {
    html.push_str("<h2>Environments</h2><table id=\"environments\"><tr><th>environment</th><th>freeze</th><th>change window</th><th>last apply</th><th>open findings</th><th>drift</th></tr>");
    for env in &settings.environments {
        let data = snapshot.environment(&env.name);
        let lock = data
            .and_then(|d| d.lock.as_ref())
            .filter(|l| l.is_live(now));
        let freeze = match lock {
            Some(lock) => format!(
                "<td class=\"frozen\">FROZEN by {} since {}{}: {}</td>",
                escape(&lock.owner),
                lock.acquired_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                lock.expires_at
                    .map(|e| format!(
                        " until {}",
                        e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    ))
                    .unwrap_or_default(),
                escape(&lock.reason)
            ),
            None => "<td class=\"open\">not frozen</td>".to_owned(),
        };
        let window = match &env.window {
            None => "no window configured".to_owned(),
            Some(window) => {
                let status = window.status_at(now);
                if status.open {
                    format!("open ({})", escape(&status.reason))
                } else {
                    let next = status
                        .opens_at
                        .map(|t| {
                            format!(
                                ", opens {}",
                                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                            )
                        })
                        .unwrap_or_default();
                    format!("closed ({}{next})", escape(&status.reason))
                }
            }
        };
        let last = data
            .and_then(|d| d.trail.iter().rev().find(|t| t.is_apply()))
            .map(|t| {
                format!(
                    "{} by {} (plan {})",
                    t.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    escape(&t.who),
                    escape(&t.plan_id)
                )
            })
            .unwrap_or_else(|| "none recorded".into());
        let open: Vec<String> = snapshot
            .open_findings(&env.name)
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let drift = drift(snapshot, data.and_then(|d| d.drift.as_ref()), &env.name);
        let _ = write!(
            html,
            "<tr id=\"env-{name}\"><td>{name}</td>{freeze}<td>{window}</td><td>{last}</td><td>{}</td><td>{drift}</td></tr>",
            if open.is_empty() { "none".to_owned() } else { open.join(", ") },
            name = escape(&env.name)
        );
    }
    html.push_str("</table>");
}

/// The drift cell: how many resources drifted, by rule, and what was checked.
fn drift(snapshot: &Snapshot, summary: Option<&DriftSummary>, environment: &str) -> String {
    let Some(summary) = summary else {
        return "not checked".to_owned();
    };
    let mut parts = Vec::new();
    let counts: Vec<String> = ["drift/missing", "drift/changed", "drift/unmanaged"]
        .iter()
        .map(|rule| {
            let n = snapshot
                .findings
                .iter()
                .filter(|f| f.environment == environment && f.finding.rule_id == *rule)
                .count();
            format!("{n} {}", rule.trim_start_matches("drift/"))
        })
        .collect();
    parts.push(counts.join(", "));
    if let Some(live) = &summary.live {
        parts.push(match &live.error {
            Some(error) => format!(
                "<span class=\"stale\">live check failed: {}</span>",
                escape(error)
            ),
            None => format!("live: {} resources checked", live.resources_checked),
        });
    }
    if let Some(refresh) = &summary.refresh {
        parts.push(format!("{} refresh-only plans", refresh.plans));
        if let Some(error) = &refresh.error {
            parts.push(format!("<span class=\"stale\">{}</span>", escape(error)));
        }
        for unreadable in &refresh.unreadable {
            parts.push(format!(
                "<span class=\"stale\">unreadable: {}</span>",
                escape(unreadable)
            ));
        }
    }
    parts.join("<br>")
}

fn stale_locks(html: &mut String, snapshot: &Snapshot) {
    html.push_str("<h2>State locks</h2><table id=\"locks\"><tr><th>lock</th><th>environment</th><th>held by</th><th>since</th><th>status</th></tr>");
    for lock in &snapshot.state_locks {
        let _ = write!(
            html,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if lock.stale { " class=\"stale\"" } else { "" },
            escape(&lock.origin),
            escape(&lock.environment),
            escape(&lock.who),
            lock.created
                .map(|c| c.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
            if lock.stale { "STALE LOCK" } else { "held" }
        );
    }
    if snapshot.state_locks.is_empty() {
        html.push_str("<tr><td colspan=\"5\">no state is locked</td></tr>");
    }
    html.push_str("</table>");
}

fn findings(html: &mut String, snapshot: &Snapshot) {
    let rules = super::views::rules();
    html.push_str("<h2>Findings</h2>");
    for severity in Severity::ALL.iter().rev() {
        let of: Vec<_> = snapshot
            .findings
            .iter()
            .filter(|f| f.finding.severity == *severity && !f.finding.waived)
            .collect();
        if of.is_empty() {
            continue;
        }
        let _ = write!(html, "<h3 class=\"{s}\">{s} ({})</h3><table><tr><th>rule</th><th>environment</th><th>where</th><th>what</th></tr>", of.len(), s = severity.as_str());
        for f in of {
            let help = rules
                .iter()
                .find(|r| r.id == f.finding.rule_id)
                .map(|r| escape(r.help))
                .unwrap_or_default();
            let _ = write!(
                html,
                "<tr><td>{}<br><small>{help}</small></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(f.finding.rule_id),
                escape(&f.environment),
                escape(&f.finding.address),
                escape(&f.finding.message)
            );
        }
        html.push_str("</table>");
    }
}

fn trail(html: &mut String, snapshot: &Snapshot) {
    let mut entries: Vec<_> = snapshot.trail().collect();
    entries.sort_by_key(|t| std::cmp::Reverse(t.at));
    html.push_str("<h2>Recent trail</h2><table id=\"trail\"><tr><th>at</th><th>environment</th><th>action</th><th>decision</th><th>who</th><th>plan</th></tr>");
    for t in entries.into_iter().take(20) {
        let glass = t
            .break_glass_ticket
            .as_ref()
            .map(|k| format!(" (break glass, ticket {})", escape(k)))
            .unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}{glass}</td><td>{}</td><td>{}</td></tr>",
            t.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            escape(&t.environment),
            escape(&t.action),
            escape(&t.decision),
            escape(&t.who),
            escape(&t.plan_id)
        );
    }
    html.push_str("</table>");
}
