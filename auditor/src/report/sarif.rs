//! The `sarif` format: SARIF 2.1.0 as GitHub code scanning reads it.
//!
//! * `runs[0].tool.driver.rules` lists every rule the command declared (and any
//!   rule a finding names that was not declared), with its default level.
//!   Each rule has a `helpUri` (its section of the auditor's README) and the
//!   `security` tag, so code scanning reads its `security-severity`.
//! * Each finding is a result with `ruleId`, `ruleIndex`, `level` (critical and
//!   high: `error`; medium: `warning`; low and info: `note`), a logical location
//!   (the address), a physical location only inside the repository (the `.tf`
//!   file and line, relative to the repository root, when the source map located
//!   it; otherwise the audited file at line 1 when it is in the repository;
//!   never a `file://` URI), and a `partialFingerprints` hash of rule id and
//!   address so alerts survive line moves.
//! * `automationDetails.id` is `CATEGORY/` only with a category
//!   ([`super::RenderOptions::sarif_category`]): code scanning keeps the alerts of
//!   each category apart (one per environment), and upload-sarif ignores its own
//!   `category` input when the log has an id.
//! * Waived findings carry an `external` suppression with the waiver's reason.
//! * At most [`MAX_RESULTS`] results (code scanning's limit per run): the most
//!   severe are kept and a tool notification counts the others.

use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{is_repository_relative, one_line, Report, SubjectFile};
use crate::findings::{Finding, RuleInfo, Severity};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const SARIF_VERSION: &str = "2.1.0";
pub const INFORMATION_URI: &str = "https://github.com/sre-control-plane/guardrail";
/// Where the rules are documented: the auditor's README on the default branch.
pub const RULES_DOCUMENTATION: &str =
    "https://github.com/sre-control-plane/guardrail/blob/main/auditor/README.md";
/// GitHub code scanning rejects a run with more results than this.
pub const MAX_RESULTS: usize = 25_000;
/// The key of the stable fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "tfauditFinding/v1";

/// The SARIF `level` for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score (0–10) for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A stable hash of rule id and address: the same finding keeps its fingerprint
/// across runs even when its source line moves.
pub fn fingerprint(rule_id: &str, address: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule_id.as_bytes());
    hasher.update([0u8]);
    hasher.update(address.as_bytes());
    hex::encode(hasher.finalize())
}

/// `plan/destroy-protected` → `PlanDestroyProtected`, SARIF's readable rule name.
fn rule_name(rule_id: &str) -> String {
    rule_id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The README section that documents `rule_id`, as a `helpUri`.
pub fn help_uri(rule_id: &str) -> String {
    let anchor = match rule_id.split('/').next().unwrap_or("") {
        "state" => "state-audits",
        "trail" => "the-guardrail-stores-audit-trail",
        "drift" => "drift",
        "config" => "configuration-tfaudittoml",
        "plan" | "budget" => "severities-worth-knowing",
        _ => "code-scanning-sarif",
    };
    format!("{RULES_DOCUMENTATION}#{anchor}")
}

/// A repository-relative path as a URI reference (code scanning reads it from
/// the repository root): `/` is kept and characters a URI cannot hold are
/// percent-encoded. Absolute paths never reach it (see
/// [`super::is_repository_relative`]).
pub fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'/'
                    | b':'
                    | b'@'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
            );
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// The rules of the run: the declared ones, then any a finding names that was not
/// declared (described by its id alone).
fn driver_rules(report: &Report) -> Vec<RuleInfo> {
    let mut rules = report.rules.clone();
    for finding in report.sorted_findings() {
        if !rules.iter().any(|rule| rule.id == finding.rule_id) {
            rules.push(RuleInfo {
                id: finding.rule_id,
                default_severity: finding.severity,
                summary: finding.rule_id,
                help: "",
            });
        }
    }
    rules
}

fn rule_descriptor(rule: &RuleInfo, command: &str) -> Value {
    let help = if rule.help.is_empty() {
        rule.summary
    } else {
        rule.help
    };
    json!({
        "id": rule.id,
        "name": rule_name(rule.id),
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": help },
        "help": {
            "text": help,
            "markdown": format!("**{}** (`{}`)\n\n{}", rule.summary, rule.id, help),
        },
        "helpUri": help_uri(rule.id),
        "defaultConfiguration": { "level": level(rule.default_severity) },
        "properties": {
            "tags": ["security", "terraform", "tfaudit", command, rule.default_severity.as_str()],
            "precision": "high",
            "security-severity": security_severity(rule.default_severity),
        },
    })
}

// The log is serialised from these borrowed records rather than built as a
// `serde_json::Value`: a value tree of 25,000 results costs hundreds of MiB.
// Fields are declared in alphabetical order, the order of the JSON keys.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    automation_details: Option<Value>,
    invocations: [Value; 1],
    results: Vec<SarifResult<'a>>,
    tool: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    level: &'static str,
    locations: [Location<'a>; 1],
    message: Text,
    partial_fingerprints: Fingerprints,
    properties: ResultProperties<'a>,
    rule_id: &'a str,
    rule_index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[Suppression<'a>; 1]>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    logical_locations: [LogicalLocation<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "tfauditFinding/v1")]
    finding: String,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    address: &'a str,
    module: &'a str,
    severity: &'static str,
}

#[derive(Serialize)]
struct Suppression<'a> {
    justification: &'a str,
    kind: &'static str,
    status: &'static str,
}

fn result<'a>(finding: &'a Finding, rule_index: usize, report: &Report) -> SarifResult<'a> {
    let artifact = match &finding.location {
        Some(location) => is_repository_relative(&location.file)
            .then(|| (uri_reference(&location.file), location.line.max(1))),
        None => match &report.options.subject_file {
            SubjectFile::AsGiven => {
                is_repository_relative(&report.subject).then(|| (uri_reference(&report.subject), 1))
            }
            SubjectFile::InRepository(path) => {
                is_repository_relative(path).then(|| (uri_reference(path), 1))
            }
            SubjectFile::Outside => None,
        },
    };
    SarifResult {
        level: level(finding.severity),
        locations: [Location {
            logical_locations: [LogicalLocation {
                fully_qualified_name: &finding.address,
                kind: "resource",
            }],
            physical_location: artifact.map(|(uri, line)| PhysicalLocation {
                artifact_location: ArtifactLocation { uri },
                region: Region { start_line: line },
            }),
        }],
        message: Text {
            text: format!(
                "{}: {}",
                one_line(&finding.address),
                one_line(&finding.message)
            ),
        },
        partial_fingerprints: Fingerprints {
            finding: fingerprint(finding.rule_id, &finding.address),
        },
        properties: ResultProperties {
            address: &finding.address,
            module: &finding.module,
            severity: finding.severity.as_str(),
        },
        rule_id: finding.rule_id,
        rule_index,
        suppressions: finding.waived.then(|| {
            [Suppression {
                justification: finding.waiver_reason.as_deref().unwrap_or("waived"),
                kind: "external",
                status: "accepted",
            }]
        }),
    }
}

/// The SARIF log of at most `max_results` results: the most severe are kept,
/// and a tool notification says how many were left out.
fn log(report: &Report, max_results: usize) -> Log<'_> {
    let rules = driver_rules(report);
    let sorted = report.sorted_findings();
    let left_out = sorted.len().saturating_sub(max_results);
    let mut invocation = json!({ "executionSuccessful": true });
    if left_out > 0 {
        invocation["toolExecutionNotifications"] = json!([{
            "level": "warning",
            "descriptor": { "id": "tfaudit/results-truncated" },
            "message": {
                "text": format!(
                    "{left_out} of {} results were left out (code scanning accepts at most {max_results} per run); the json report lists them all",
                    sorted.len()
                ),
            },
        }]);
    }
    let total = sorted.len();
    let results: Vec<SarifResult<'_>> = sorted
        .into_iter()
        .take(max_results)
        .map(|finding| {
            let index = rules
                .iter()
                .position(|rule| rule.id == finding.rule_id)
                .unwrap_or(0);
            result(finding, index, report)
        })
        .collect();
    tracing::debug!(results = results.len(), total, "SARIF results");
    Log {
        schema: SCHEMA_URI,
        runs: [Run {
            automation_details: report.options.sarif_category.as_deref().map(|category| {
                let category = category.trim_end_matches('/');
                json!({ "id": format!("{category}/") })
            }),
            invocations: [invocation],
            results,
            tool: json!({
                "driver": {
                    "name": "tfaudit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules.iter().map(|rule| rule_descriptor(rule, report.command)).collect::<Vec<_>>(),
                },
            }),
        }],
        version: SARIF_VERSION,
    }
}

/// The report as a SARIF log.
pub fn to_value(report: &Report) -> Value {
    to_value_with_limit(report, MAX_RESULTS)
}

/// The report as a SARIF log of at most `max_results` results: the most severe
/// are kept, and a tool notification says how many were left out.
pub fn to_value_with_limit(report: &Report, max_results: usize) -> Value {
    serde_json::to_value(log(report, max_results)).unwrap_or(Value::Null)
}

/// Writes what [`render`] renders to `out`, without holding the text.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(report, MAX_RESULTS))?;
    out.write_all(b"\n")
}

/// Renders `report` as pretty-printed SARIF with a trailing newline.
pub fn render(report: &Report) -> String {
    // Serialising these records cannot fail: every map key is a string.
    let mut text = serde_json::to_string_pretty(&log(report, MAX_RESULTS)).unwrap_or_default();
    text.push('\n');
    text
}
