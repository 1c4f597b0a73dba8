//! The `json` format: the whole report as one JSON document, for machines.
//!
//! ```json
//! {"tool": {"name": "tfaudit", "version": "0.1.0"}, "command": "plan",
//!  "subject": "plan.json", "passed": false, "fail_on": "high",
//!  "summary": {"changes": {"create": 1, ...}, "findings": {"info": 0, ...}},
//!  "findings": [{"rule_id": "plan/destroy", "severity": "critical", ...}]}
//! ```
//!
//! Findings are sorted most severe first, then by address.

use serde_json::{json, Value};

use super::{threshold_name, Report};

/// The report as a JSON value.
pub fn to_value(report: &Report) -> Value {
    json!({
        "tool": {
            "name": "tfaudit",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "command": report.command,
        "subject": report.subject,
        "passed": !report.failed(),
        "fail_on": threshold_name(report.threshold()),
        "summary": report.full_summary(),
        "findings": report.sorted_findings(),
    })
}

/// Renders `report` as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    format!("{:#}\n", to_value(report))
}
