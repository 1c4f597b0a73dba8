//! Reporters: one module per output format, all reading the same [`Report`].
//!
//! Redaction happens upstream: rules and commands put only already-redacted text
//! into [`Finding`]s and the summary, and every reporter prints nothing but that
//! content (plus its own fixed labels). No reporter looks at plan values.
//!
//! * [`render`] turns a report into one format's text;
//! * [`emit`] prints `--format` on stdout and writes every `--report FORMAT=PATH`.
//!
//! The `.tf` file and line of each finding come from [`crate::source`], before
//! the report is made.
//!
//! May import: `findings`, `error`; nothing above (reporters never read a plan).

use serde::Serialize;

use crate::error::InputError;
use crate::findings::{count_by_severity, FailOn, Finding, RuleInfo, Severity};

pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod output;
pub mod sarif;
pub mod text;

/// Output formats for stdout and `--report FORMAT=PATH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Github,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Github,
    ];

    /// The name used on the command line (`--format`, `--report NAME=PATH`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Github => "github",
        }
    }

    /// The format called `name` on the command line, if any.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|format| format.name() == name)
    }

    /// Every accepted name, comma-separated, for error messages.
    pub fn accepted_names() -> String {
        Format::ALL
            .iter()
            .map(|format| format.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    /// The format called `text` on the command line.
    fn from_str(text: &str) -> Result<Format, String> {
        Format::from_name(text).ok_or_else(|| {
            format!(
                "unknown format `{text}`; expected one of {}",
                Format::accepted_names()
            )
        })
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a report cannot be read from its sources or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A source the report reads (the Terraform configuration of `--source-dir`).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A `--report FORMAT=PATH` that cannot be used as given.
    #[error("{0}")]
    Spec(String),
    /// Writing failed, or a source could not be parsed: where, and what happened.
    #[error("{context}: {message}")]
    Other { context: String, message: String },
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
    /// The `.tfaudit.toml` the run applied, as found or given (`--config`);
    /// none when the defaults applied.
    pub configuration: Option<String>,
    /// How the report is rendered for where it goes (code scanning, a comment).
    #[serde(skip)]
    pub options: RenderOptions,
}

/// Rendering choices the command line makes (the library knows no flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// The SARIF category (`--sarif-category`): the run's `automationDetails.id`
    /// is the category with a trailing `/`. Without it the log has no
    /// `automationDetails` and the uploader's `category` applies.
    pub sarif_category: Option<String>,
    /// Where the audited file is for findings the source map did not locate.
    pub subject_file: SubjectFile,
    /// Markdown written right after the comment's marker line
    /// (`--comment-header`), counted in the comment's size limit.
    pub comment_header: Option<String>,
    /// The code scanning alerts of the pull request, linked from the comment.
    pub alerts_url: Option<String>,
}

/// The audited file as SARIF may name it: only ever relative to the
/// repository root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SubjectFile {
    /// The subject as given, when it is a relative path (read from the
    /// repository root); nothing when it is absolute or a URL.
    #[default]
    AsGiven,
    /// This path, relative to the repository root.
    InRepository(String),
    /// Not a file in the repository: results carry a logical location only.
    Outside,
}

/// Whether `path` can be an artifact of the repository as it is: relative,
/// not leaving the root, not a URL.
pub fn is_repository_relative(path: &str) -> bool {
    let path = path.replace('\\', "/");
    let drive = path.as_bytes().get(1) == Some(&b':');
    !(path.is_empty()
        || path.starts_with('/')
        || drive
        || path.contains("://")
        || path == ".."
        || path.starts_with("../"))
}

impl Report {
    /// The fail threshold in force: `fail_on`, or `high` when unset.
    pub fn threshold(&self) -> FailOn {
        self.fail_on.unwrap_or(FailOn::At(Severity::High))
    }

    /// Whether any unwaived finding reaches the fail threshold.
    pub fn failed(&self) -> bool {
        let threshold = self.threshold();
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

    /// How many unwaived findings reach the fail threshold.
    pub fn failing_count(&self) -> usize {
        let threshold = self.threshold();
        self.findings
            .iter()
            .filter(|finding| !finding.waived && threshold.fails(finding.severity))
            .count()
    }

    /// The `changes` counts of the summary in a fixed order (`create`, `update`,
    /// `delete`, `replace`, `read`, `no_op`, `forget`, `import`, then any other
    /// action), or nothing when the summary has no `changes` object.
    pub fn change_counts(&self) -> Vec<(String, u64)> {
        let Some(serde_json::Value::Object(changes)) = self.summary.get("changes") else {
            return Vec::new();
        };
        let count = |value: &serde_json::Value| value.as_u64().unwrap_or(0);
        let mut counts: Vec<(String, u64)> = CHANGE_ACTIONS
            .iter()
            .filter_map(|action| changes.get(*action).map(|v| (action.to_string(), count(v))))
            .collect();
        counts.extend(
            changes
                .iter()
                .filter(|(action, _)| !CHANGE_ACTIONS.contains(&action.as_str()))
                .map(|(action, value)| (action.clone(), count(value))),
        );
        counts
    }

    /// Summary entries other than `changes` (what `state` and `drift` report, and
    /// plan facts) as display text: scalars as they are, objects as `k=v, ...`,
    /// arrays as `a, b`; nested structures beyond that are left to the json format.
    pub fn other_summary_entries(&self) -> Vec<(String, String)> {
        fn scalar(value: &serde_json::Value) -> Option<String> {
            match value {
                serde_json::Value::String(text) => Some(text.clone()),
                serde_json::Value::Number(number) => Some(number.to_string()),
                serde_json::Value::Bool(flag) => Some(flag.to_string()),
                serde_json::Value::Null => Some("none".to_string()),
                _ => None,
            }
        }
        self.summary
            .iter()
            .filter(|(key, _)| key.as_str() != "changes" && key.as_str() != "findings")
            .filter_map(|(key, value)| {
                let text = match value {
                    serde_json::Value::Object(entries) => entries
                        .iter()
                        .map(|(k, v)| scalar(v).map(|v| format!("{k}={v}")))
                        .collect::<Option<Vec<_>>>()?
                        .join(", "),
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(scalar)
                        .collect::<Option<Vec<_>>>()?
                        .join(", "),
                    other => scalar(other)?,
                };
                Some((key.clone(), text))
            })
            .collect()
    }

    /// The findings in reporting order: most severe first, then by address, then
    /// by rule id (so every format lists them the same way).
    pub fn sorted_findings(&self) -> Vec<&Finding> {
        let mut findings: Vec<&Finding> = self.findings.iter().collect();
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.address.cmp(&b.address))
                .then_with(|| a.rule_id.cmp(b.rule_id))
        });
        findings
    }

    /// The description of `rule_id`, when the command declared it.
    pub fn rule(&self, rule_id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|rule| rule.id == rule_id)
    }
}

/// Plan actions in the order every format lists them.
pub const CHANGE_ACTIONS: [&str; 8] = [
    "create", "update", "delete", "replace", "read", "no_op", "forget", "import",
];

/// The text of `--fail-on` for people: `high`, or `never`.
pub fn threshold_name(threshold: FailOn) -> &'static str {
    match threshold {
        FailOn::At(severity) => severity.as_str(),
        FailOn::Never => "never",
    }
}

/// Renders `report` in `format` (the `text` format without colour).
pub fn render(format: Format, report: &Report) -> String {
    render_with_color(format, report, false)
}

/// Renders `report` in `format`; `color` only affects the `text` format.
pub fn render_with_color(format: Format, report: &Report, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Sarif => sarif::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
        Format::Github => github::render(report),
    }
}

/// Writes `report` in `format` to `out`, as [`render_with_color`] renders it;
/// the json and sarif documents are serialised straight into `out`.
pub fn write_report(
    format: Format,
    report: &Report,
    color: bool,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        _ => out.write_all(render_with_color(format, report, color).as_bytes()),
    }
}

/// `text` on one line without control characters: line breaks and tabs become
/// spaces, other control characters (terminal escapes included) become `�`.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{FFFD}',
            c => c,
        })
        .collect()
}
