//! The `junit` format: JUnit XML for CI test views.
//!
//! One `<testsuite>` (inside `<testsuites>`), one `<testcase>` per rule with
//! `classname="tfaudit.<command>"` and `name` the rule id. A rule with unwaived
//! findings at or above the fail threshold is a `<failure>` listing them; a rule
//! whose findings are all below the threshold (or waived) passes and lists them in
//! `<system-out>`; a rule without findings simply passes.
//!
//! Text and attributes are XML-escaped, and characters XML 1.0 cannot carry at all
//! (most control characters) are replaced with `�`.

use std::fmt::Write as _;

use super::{threshold_name, Report};
use crate::findings::Finding;

/// Renders `report` as a JUnit XML document.
pub fn render(report: &Report) -> String {
    let threshold = report.threshold();
    let classname = format!("tfaudit.{}", report.command);
    let sorted = report.sorted_findings();

    let mut rule_ids: Vec<&str> = report.rules.iter().map(|rule| rule.id).collect();
    for finding in &sorted {
        if !rule_ids.contains(&finding.rule_id) {
            rule_ids.push(finding.rule_id);
        }
    }

    let mut cases = String::new();
    let mut failures = 0usize;
    for rule_id in &rule_ids {
        let findings: Vec<&Finding> = sorted
            .iter()
            .copied()
            .filter(|finding| finding.rule_id == *rule_id)
            .collect();
        let (failing, passing): (Vec<&Finding>, Vec<&Finding>) = findings
            .iter()
            .partition(|finding| !finding.waived && threshold.fails(finding.severity));

        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(&classname),
            escape(rule_id)
        );
        if failing.is_empty() && passing.is_empty() {
            cases.push_str("/>\n");
            continue;
        }
        cases.push_str(">\n");
        if !failing.is_empty() {
            failures += 1;
            let noun = if failing.len() == 1 {
                "finding"
            } else {
                "findings"
            };
            let message = format!(
                "{} {noun} at or above the threshold `{}`",
                failing.len(),
                threshold_name(threshold)
            );
            let _ = writeln!(
                cases,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&message),
                escape(failing[0].severity.as_str()),
                escape_text(&list(&failing))
            );
        }
        if !passing.is_empty() {
            let _ = writeln!(
                cases,
                "      <system-out>{}</system-out>",
                escape_text(&list(&passing))
            );
        }
        cases.push_str("    </testcase>\n");
    }

    let tests = rule_ids.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"tfaudit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        escape(&classname)
    );
    out.push_str("    <properties>\n");
    let _ = writeln!(
        out,
        "      <property name=\"subject\" value=\"{}\"/>",
        escape(&report.subject)
    );
    let _ = writeln!(
        out,
        "      <property name=\"fail_on\" value=\"{}\"/>",
        threshold_name(threshold)
    );
    out.push_str("    </properties>\n");
    out.push_str(&cases);
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// One line per finding: `[severity] address: message (file:line)`.
fn list(findings: &[&Finding]) -> String {
    let mut text = String::new();
    for finding in findings {
        let _ = write!(
            text,
            "[{}] {}: {}",
            finding.severity, finding.address, finding.message
        );
        if let Some(location) = &finding.location {
            let _ = write!(text, " ({}:{})", location.file, location.line);
        }
        if finding.waived {
            let reason = finding
                .waiver_reason
                .as_deref()
                .unwrap_or("no reason given");
            let _ = write!(text, " (waived: {reason})");
        }
        text.push('\n');
    }
    text
}

/// Escapes text for an XML attribute value.
pub fn escape(text: &str) -> String {
    escape_xml(text, true)
}

/// Escapes text for XML element content (line breaks stay readable).
pub fn escape_text(text: &str) -> String {
    escape_xml(text, false)
}

fn escape_xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Whether XML 1.0 allows `c` in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\u{9}' | '\u{A}' | '\u{D}'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}
