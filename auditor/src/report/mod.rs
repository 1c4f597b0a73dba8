//! Reporters: one module per output format, all reading the same [`Report`].

use serde::Serialize;

use crate::findings::{count_by_severity, FailOn, Finding, RuleInfo};

/// Output formats for stdout and `--report FORMAT=PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Github,
}

/// Everything a reporter needs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `plan`, `state` or `drift`.
    pub command: &'static str,
    /// What was audited (plan file, state keys).
    pub subject: String,
    /// Command-specific summary (for `plan`: `changes` by action).
    pub summary: serde_json::Map<String, serde_json::Value>,
    pub findings: Vec<Finding>,
    /// Every rule the command knows, for SARIF and JUnit.
    #[serde(skip)]
    pub rules: Vec<RuleInfo>,
    #[serde(skip)]
    pub fail_on: Option<FailOn>,
}

impl Report {
    /// Whether any unwaived finding reaches the fail threshold.
    pub fn failed(&self) -> bool {
        let threshold = self.fail_on.unwrap_or(FailOn::At(crate::findings::Severity::High));
        self.findings
            .iter()
            .any(|finding| !finding.waived && threshold.fails(finding.severity))
    }

    /// The summary with `findings` counts by severity added.
    pub fn full_summary(&self) -> serde_json::Value {
        let mut summary = self.summary.clone();
        summary.insert(
            "findings".into(),
            serde_json::to_value(count_by_severity(&self.findings)).unwrap_or_default(),
        );
        serde_json::Value::Object(summary)
    }
}
