//! Runs every case in `tests/data/windows/*.json`.
//!
//! A file holds `cases`; each case has a `spec` and either `checks` (an
//! instant with the expected `open`, `opens_at`, `closes_at` and optionally a
//! `reason_contains` fragment) or an `error` (`field` and `message_contains`).
//! Expected instants are compared as RFC 3339 text, so the offset must match
//! too; a missing `opens_at`/`closes_at` key is not checked, `null` expects None.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use guardrail_core::window::WindowSpec;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    #[allow(dead_code)]
    description: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    spec: WindowSpec,
    #[serde(default)]
    checks: Vec<Check>,
    error: Option<ExpectedError>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    at: DateTime<Utc>,
    open: bool,
    #[serde(default)]
    opens_at: Option<Value>,
    #[serde(default)]
    closes_at: Option<Value>,
    reason_contains: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    field: String,
    message_contains: String,
}

fn case_files() -> Vec<PathBuf> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/windows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
}

/// `None`: key absent, not checked. `Some(None)`: expected null.
fn expected_instant(value: &Option<Value>) -> Option<Option<String>> {
    match value {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text.clone())),
        Some(other) => panic!("expected an RFC 3339 string or null, got {other}"),
    }
}

fn run_case(file: &str, case: &Case, failures: &mut Vec<String>) {
    let label = format!("{file} / {}", case.name);
    match (&case.error, case.spec.compile()) {
        (Some(expected), Ok(_)) => failures.push(format!(
            "{label}: compiled, expected error on {}",
            expected.field
        )),
        (Some(expected), Err(error)) => {
            if error.field != expected.field || !error.message.contains(&expected.message_contains)
            {
                failures.push(format!(
                    "{label}: got `{error}`, expected field {} with `{}`",
                    expected.field, expected.message_contains
                ));
            }
        }
        (None, Err(error)) => failures.push(format!("{label}: unexpected error `{error}`")),
        (None, Ok(window)) => {
            assert!(
                !case.checks.is_empty(),
                "{label}: a valid case needs checks"
            );
            for check in &case.checks {
                let status = window.status_at(check.at);
                let at = check.at.to_rfc3339();
                let shown =
                    |value: &Option<DateTime<chrono::FixedOffset>>| value.map(|v| v.to_rfc3339());
                if status.open != check.open {
                    failures.push(format!(
                        "{label} at {at}: open {} expected {} ({})",
                        status.open, check.open, status.reason
                    ));
                }
                if let Some(expected) = expected_instant(&check.opens_at) {
                    if shown(&status.opens_at) != expected {
                        failures.push(format!(
                            "{label} at {at}: opens_at {:?} expected {expected:?}",
                            shown(&status.opens_at)
                        ));
                    }
                }
                if let Some(expected) = expected_instant(&check.closes_at) {
                    if shown(&status.closes_at) != expected {
                        failures.push(format!(
                            "{label} at {at}: closes_at {:?} expected {expected:?}",
                            shown(&status.closes_at)
                        ));
                    }
                }
                if let Some(fragment) = &check.reason_contains {
                    if !status.reason.contains(fragment) {
                        failures.push(format!(
                            "{label} at {at}: reason `{}` lacks `{fragment}`",
                            status.reason
                        ));
                    }
                }
                if status.open && status.opens_at.is_some()
                    || !status.open && status.closes_at.is_some()
                {
                    failures.push(format!("{label} at {at}: inconsistent status {status:?}"));
                }
            }
        }
    }
}

#[test]
fn window_cases_from_data_files() {
    let files = case_files();
    assert!(files.len() >= 5, "expected the case files, found {files:?}");
    let mut failures = Vec::new();
    let mut checked = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable case file");
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let file: CaseFile =
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{name}: {error}"));
        for case in &file.cases {
            run_case(&name, case, &mut failures);
            checked += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
