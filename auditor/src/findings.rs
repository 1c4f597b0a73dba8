//! Findings: what rules produce and reporters render.

use serde::Serialize;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `--fail-on` threshold: a severity, or `never`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    At(Severity),
    Never,
}

impl FailOn {
    /// Whether a finding of `severity` (not waived) fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::At(threshold) => severity >= threshold,
            FailOn::Never => false,
        }
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "never" => Ok(FailOn::Never),
            "info" => Ok(FailOn::At(Severity::Info)),
            "low" => Ok(FailOn::At(Severity::Low)),
            "medium" => Ok(FailOn::At(Severity::Medium)),
            "high" => Ok(FailOn::At(Severity::High)),
            "critical" => Ok(FailOn::At(Severity::Critical)),
            other => Err(format!(
                "expected one of info, low, medium, high, critical, never; got `{other}`"
            )),
        }
    }
}

/// Where a finding points in the Terraform sources, when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceLocation {
    pub file: String,
    pub line: u32,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable rule id, e.g. `plan/destroy`.
    pub rule_id: &'static str,
    pub severity: Severity,
    /// The resource or output address (or the state key) the finding is about.
    pub address: String,
    /// A one-line message for people. Never contains a sensitive value.
    pub message: String,
    /// Whether a waiver covers this finding (waived findings never fail the run).
    pub waived: bool,
    /// The waiver's reason, when waived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiver_reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    /// The module address (`module.a.module.b`), empty for the root module.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// What a policy result said besides its message (conftest's `metadata`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

impl Finding {
    pub fn new(
        rule_id: &'static str,
        severity: Severity,
        address: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule_id,
            severity,
            address: address.into(),
            message: message.into(),
            waived: false,
            waiver_reason: None,
            location: None,
            module: String::new(),
            metadata: None,
        }
    }
}

/// The description of a rule, for `--help`, SARIF `tool.driver.rules` and docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    pub id: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
    pub help: &'static str,
}

/// Counts of findings by severity (waived findings are not counted).
pub fn count_by_severity(findings: &[Finding]) -> std::collections::BTreeMap<&'static str, usize> {
    let mut counts: std::collections::BTreeMap<&'static str, usize> =
        Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
    for finding in findings.iter().filter(|f| !f.waived) {
        *counts.entry(finding.severity.as_str()).or_default() += 1;
    }
    counts
}
