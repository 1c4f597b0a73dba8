//! The SARIF tfaudit writes passes Microsoft's SARIF Multitool (`sarif-multitool
//! validate`: the SARIF 2.1.0 schema and the SDK's validation rules), for a plan
//! with findings, rule help and `.tf` locations, and for a state audit. A broken
//! log is reported, so the check can fail.
//!
//! `make setup` installs the multitool from npm into `.tools/bin`.

#[path = "support/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What the multitool says of one log: every result at `error` level, and
/// every one at `warning` level, as `RULE: message` lines.
#[derive(Debug, Default)]
struct Validation {
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// Runs `sarif-multitool validate` on `log` and reads the results it writes.
/// The multitool exits 0 whatever it found: its own SARIF output is the answer.
fn validate(log: &Path) -> Validation {
    let out = log.with_extension("validation.sarif");
    let output = Command::new(guardrail_testkit::tools::sarif_multitool_bin())
        .arg("validate")
        .arg(log)
        .arg("--output")
        .arg(&out)
        .args(["--log", "ForceOverwrite", "--level", "Error;Warning"])
        .output()
        .expect("run sarif-multitool (make setup installs it)");
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "sarif-multitool failed:\n{said}");
    let text = std::fs::read_to_string(&out).unwrap_or_else(|error| {
        panic!(
            "sarif-multitool wrote no {}: {error}\n{said}",
            out.display()
        )
    });
    let validation: Value = serde_json::from_str(&text).expect("the multitool's output is JSON");
    let run = &validation["runs"][0];
    assert_eq!(
        run["invocations"][0]["executionSuccessful"], true,
        "the validation did not run to the end:\n{said}"
    );
    let mut found = Validation::default();
    for result in run["results"].as_array().into_iter().flatten() {
        let rule = result["ruleId"].as_str().unwrap_or("?");
        let arguments = result["message"]["arguments"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        let line = format!("{rule}: {arguments}");
        match result["level"].as_str() {
            Some("error") => found.errors.push(line),
            Some("warning") => found.warnings.push(line),
            _ => {}
        }
    }
    // The console names each problem too; an error the output log lost would
    // still be caught here.
    if said.contains(": error ") && found.errors.is_empty() {
        found.errors.push(said);
    }
    found
}

fn assert_valid(log: &Path) {
    let validation = validate(log);
    assert!(
        validation.errors.is_empty(),
        "{}: sarif-multitool reports errors:\n{}\n(warnings: {:?})",
        log.display(),
        validation.errors.join("\n"),
        validation.warnings
    );
}

fn read(log: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(log).unwrap()).expect("SARIF is JSON")
}

/// `tfaudit plan` of the report fixture with its configuration: findings at
/// every severity, each located in a `.tf` file.
fn plan_sarif(dir: &Path) -> PathBuf {
    let out = dir.join("plan.sarif");
    let report = format!("sarif={}", out.display());
    let output = cli::run(
        &[
            "plan",
            "tests/data/reports/plan.json",
            "--source-dir",
            "tests/data/reports/source",
            "--sarif-category",
            "tfaudit/plan/production",
            "--fail-on",
            "never",
            "--report",
            &report,
        ],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert_eq!(output.status.code(), Some(0), "{}", cli::stderr(&output));
    out
}

#[test]
fn a_plan_audit_with_findings_help_and_locations_is_valid_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let log = plan_sarif(dir.path());
    let sarif = read(&log);
    // What is validated is what code scanning shows: results with a rule,
    // help text for the rule and a file and line.
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert!(results.len() >= 5, "{} results", results.len());
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.iter().all(|rule| rule["help"]["text"].is_string()
        && rule["help"]["markdown"].is_string()
        && rule["helpUri"].is_string()));
    assert!(results
        .iter()
        .all(|result| result["locations"][0]["physicalLocation"]["region"]["startLine"].is_u64()));
    assert!(results
        .iter()
        .any(
            |result| result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|uri| uri.ends_with(".tf"))
        ));
    assert_eq!(run["automationDetails"]["id"], "tfaudit/plan/production/");
    assert_valid(&log);
}

#[test]
fn a_state_audit_is_valid_sarif() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("state.sarif");
    let report = format!("sarif={}", log.display());
    let output = cli::run(
        &[
            "state",
            "tests/data/states",
            "--fail-on",
            "never",
            "--report",
            &report,
        ],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert_eq!(output.status.code(), Some(0), "{}", cli::stderr(&output));
    let sarif = read(&log);
    assert!(
        !sarif["runs"][0]["results"].as_array().unwrap().is_empty(),
        "the state fixtures have findings"
    );
    assert_valid(&log);
}

/// The check can fail: a log without the tool's name (a schema error) and a
/// result whose rule index points past the rules (a SARIF rule) are reported.
#[test]
fn a_broken_sarif_log_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let log = plan_sarif(dir.path());

    let mut nameless = read(&log);
    nameless["runs"][0]["tool"]["driver"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let nameless_log = dir.path().join("nameless.sarif");
    std::fs::write(&nameless_log, nameless.to_string()).unwrap();
    let found = validate(&nameless_log);
    assert!(
        found.errors.iter().any(|error| error.contains("name")),
        "{found:?}"
    );

    let mut dangling = read(&log);
    dangling["runs"][0]["results"][0]["ruleIndex"] = 9999.into();
    let dangling_log = dir.path().join("dangling.sarif");
    std::fs::write(&dangling_log, dangling.to_string()).unwrap();
    let found = validate(&dangling_log);
    assert!(
        found.errors.iter().any(|error| error.contains("ruleIndex")),
        "{found:?}"
    );
}
