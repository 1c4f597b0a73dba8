//! The `text` format: a summary for people reading a terminal or a CI log.
//!
//! ```text
//! tfaudit plan: plan.json
//! Configuration: .tfaudit.toml
//! Changes: 1 create, 0 update, 2 delete, 1 replace
//! Findings: 1 critical, 1 high, 0 medium, 0 low, 0 info (1 waived)
//!
//! CRITICAL (1)
//!   plan/destroy  hcloud_server.web  destroys a server  [main.tf:12]
//! ...
//! FAIL: 2 findings at or above the threshold `high`
//! ```
//!
//! Colour (ANSI) only when asked for: [`super::emit`] asks when stdout is a
//! terminal and `NO_COLOR` is unset. Control characters in finding text are
//! replaced so a message cannot drive the terminal.

use std::fmt::Write as _;

use super::{one_line, threshold_name, Report};
use crate::findings::{FailOn, Finding, Severity};

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RED: &str = "\x1b[31m";
const BOLD_RED: &str = "\x1b[1;31m";
const GREEN: &str = "\x1b[1;32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";

/// Wraps text in ANSI colour codes, or not.
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

fn severity_style(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => BOLD_RED,
        Severity::High => RED,
        Severity::Medium => YELLOW,
        Severity::Low => CYAN,
        Severity::Info => DIM,
    }
}

/// Renders `report` for people; `color` adds ANSI colours.
pub fn render(report: &Report, color: bool) -> String {
    let painter = Painter { color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}",
        painter.paint(BOLD, &format!("tfaudit {}:", report.command)),
        one_line(&report.subject)
    );
    // The settings that judged the run (none: the defaults, and no line).
    if let Some(configuration) = &report.configuration {
        let _ = writeln!(out, "Configuration: {}", one_line(configuration));
    }

    let changes = report.change_counts();
    if !changes.is_empty() {
        let listed: Vec<String> = changes
            .iter()
            .map(|(action, count)| format!("{count} {}", action.replace('_', "-")))
            .collect();
        let _ = writeln!(out, "Changes: {}", listed.join(", "));
    }
    for (key, value) in report.other_summary_entries() {
        let _ = writeln!(out, "{}: {}", one_line(&key), one_line(&value));
    }

    let sorted = report.sorted_findings();
    let waived: Vec<&Finding> = sorted.iter().copied().filter(|f| f.waived).collect();
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .map(|severity| {
            let count = sorted
                .iter()
                .filter(|f| !f.waived && f.severity == *severity)
                .count();
            format!("{count} {severity}")
        })
        .collect();
    let _ = write!(out, "Findings: {}", counts.join(", "));
    if !waived.is_empty() {
        let _ = write!(out, " ({} waived)", waived.len());
    }
    out.push('\n');

    for severity in Severity::ALL.iter().rev() {
        let group: Vec<&Finding> = sorted
            .iter()
            .copied()
            .filter(|f| !f.waived && f.severity == *severity)
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push('\n');
        let heading = format!("{} ({})", severity.as_str().to_uppercase(), group.len());
        let _ = writeln!(
            out,
            "{}",
            painter.paint(severity_style(*severity), &heading)
        );
        for finding in group {
            let _ = writeln!(out, "  {}", finding_line(finding, &painter));
        }
    }
    if !waived.is_empty() {
        out.push('\n');
        let heading = format!("WAIVED ({})", waived.len());
        let _ = writeln!(out, "{}", painter.paint(DIM, &heading));
        for finding in waived {
            let reason = finding
                .waiver_reason
                .as_deref()
                .map(one_line)
                .unwrap_or_else(|| "no reason given".to_string());
            let _ = writeln!(
                out,
                "  {} ({}; waived: {reason})",
                finding_line(finding, &painter),
                finding.severity
            );
        }
    }

    out.push('\n');
    let _ = writeln!(out, "{}", verdict(report, &painter));
    out
}

fn finding_line(finding: &Finding, painter: &Painter) -> String {
    let mut line = format!(
        "{}  {}  {}",
        painter.paint(BOLD, finding.rule_id),
        one_line(&finding.address),
        one_line(&finding.message)
    );
    if let Some(location) = &finding.location {
        let place = format!("[{}:{}]", one_line(&location.file), location.line);
        let _ = write!(line, "  {}", painter.paint(DIM, &place));
    }
    line
}

fn verdict(report: &Report, painter: &Painter) -> String {
    let threshold = report.threshold();
    if report.failed() {
        let count = report.failing_count();
        let noun = if count == 1 { "finding" } else { "findings" };
        format!(
            "{} {count} {noun} at or above the threshold `{}`",
            painter.paint(BOLD_RED, "FAIL:"),
            threshold_name(threshold)
        )
    } else {
        let detail = match threshold {
            FailOn::Never => "the threshold is `never`".to_string(),
            FailOn::At(severity) => {
                format!("no findings at or above the threshold `{severity}`")
            }
        };
        format!("{} {detail}", painter.paint(GREEN, "PASS:"))
    }
}
