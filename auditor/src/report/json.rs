//! The `json` format: the whole report as one JSON document, for machines.
//!
//! ```json
//! {"tool": {"name": "tfaudit", "version": "0.1.0"}, "command": "plan",
//!  "configuration": ".tfaudit.toml", "subject": "plan.json", "passed": false,
//!  "fail_on": "high",
//!  "summary": {"changes": {"create": 1, ...}, "findings": {"info": 0, ...}},
//!  "findings": [{"rule_id": "plan/destroy", "severity": "critical", ...}]}
//! ```
//!
//! Findings are sorted most severe first, then by address. `configuration` is
//! the `.tfaudit.toml` the run applied, `null` when the defaults applied.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Value};

use super::{threshold_name, Report};
use crate::findings::Finding;

/// The report as a JSON value.
pub fn to_value(report: &Report) -> Value {
    serde_json::to_value(Document::of(report)).unwrap_or(Value::Null)
}

/// Renders `report` as pretty-printed JSON with a trailing newline. The
/// findings are written straight from the report (no value tree of them).
pub fn render(report: &Report) -> String {
    // Serialising these records cannot fail: every map key is a string.
    let mut text = serde_json::to_string_pretty(&Document::of(report)).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes what [`render`] renders to `out`, without holding the text.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Document::of(report))?;
    out.write_all(b"\n")
}

/// The document, members in name order (as a JSON object of them prints).
#[derive(Serialize)]
struct Document<'a> {
    command: &'a str,
    configuration: Option<&'a str>,
    fail_on: &'static str,
    findings: Vec<NamedInOrder<'a>>,
    passed: bool,
    subject: &'a str,
    summary: Value,
    tool: Value,
}

impl<'a> Document<'a> {
    fn of(report: &'a Report) -> Self {
        Document {
            command: report.command,
            configuration: report.configuration.as_deref(),
            fail_on: threshold_name(report.threshold()),
            findings: report
                .sorted_findings()
                .into_iter()
                .map(NamedInOrder)
                .collect(),
            passed: !report.failed(),
            subject: &report.subject,
            summary: report.full_summary(),
            tool: json!({"name": "tfaudit", "version": env!("CARGO_PKG_VERSION")}),
        }
    }
}

/// A finding with its members in name order.
struct NamedInOrder<'a>(&'a Finding);

impl Serialize for NamedInOrder<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let finding = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("address", &finding.address)?;
        if let Some(location) = &finding.location {
            map.serialize_entry(
                "location",
                &json!({"file": location.file, "line": location.line}),
            )?;
        }
        map.serialize_entry("message", &finding.message)?;
        if let Some(metadata) = &finding.metadata {
            map.serialize_entry("metadata", metadata)?;
        }
        if !finding.module.is_empty() {
            map.serialize_entry("module", &finding.module)?;
        }
        map.serialize_entry("rule_id", finding.rule_id)?;
        map.serialize_entry("severity", &finding.severity)?;
        map.serialize_entry("waived", &finding.waived)?;
        if let Some(reason) = &finding.waiver_reason {
            map.serialize_entry("waiver_reason", reason)?;
        }
        map.end()
    }
}
