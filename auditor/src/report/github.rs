//! The `github` format: GitHub Actions workflow commands, which the runner turns
//! into annotations on the pull request.
//!
//! ```text
//! ::error file=infra/main.tf,line=12,title=plan/destroy::hcloud_server.web: destroys a server
//! ```
//!
//! Critical and high findings are `::error`, medium `::warning`, low and info
//! `::notice`; waived findings are `::notice` whatever their severity. Values are
//! escaped the way the runner expects: `%`, CR and LF everywhere, plus `:` and `,`
//! inside properties. A final plain line states the verdict.

use std::fmt::Write as _;

use super::{threshold_name, Report};
use crate::findings::{FailOn, Finding, Severity};

/// Renders `report` as workflow commands, one per finding.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for finding in report.sorted_findings() {
        out.push_str(&annotation(finding));
        out.push('\n');
    }
    let verdict = if report.failed() {
        format!(
            "tfaudit {}: FAIL: {} finding(s) at or above the threshold `{}`",
            report.command,
            report.failing_count(),
            threshold_name(report.threshold())
        )
    } else if report.threshold() == FailOn::Never {
        format!("tfaudit {}: PASS: the threshold is `never`", report.command)
    } else {
        format!(
            "tfaudit {}: PASS: nothing at or above the threshold `{}`",
            report.command,
            threshold_name(report.threshold())
        )
    };
    let _ = writeln!(out, "{}", escape_data(&verdict));
    out
}

/// The workflow command for one finding.
fn annotation(finding: &Finding) -> String {
    let command = match (finding.waived, finding.severity) {
        (true, _) => "notice",
        (false, Severity::Critical | Severity::High) => "error",
        (false, Severity::Medium) => "warning",
        (false, Severity::Low | Severity::Info) => "notice",
    };
    let mut properties: Vec<String> = Vec::new();
    if let Some(location) = &finding.location {
        properties.push(format!("file={}", escape_property(&location.file)));
        properties.push(format!("line={}", location.line));
    }
    properties.push(format!("title={}", escape_property(finding.rule_id)));

    let mut message = format!(
        "[{}] {}: {}",
        finding.severity, finding.address, finding.message
    );
    if finding.waived {
        let reason = finding
            .waiver_reason
            .as_deref()
            .unwrap_or("no reason given");
        let _ = write!(message, " (waived: {reason})");
    }
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// Escapes a command's message: `%`, CR and LF.
pub fn escape_data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a command's property value: as [`escape_data`], plus `:` and `,`.
pub fn escape_property(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_data(text).chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}
