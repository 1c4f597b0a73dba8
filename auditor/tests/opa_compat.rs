//! The OPA compatibility suite: every case of `tests/data/opa_compat/` runs
//! through `tfaudit plan --policy` and through an independent Rego engine,
//! rego-cpp (PyPI `regopy`, installed by `make setup`), which
//! `tests/data/opa_compat/oracle.py` drives as conftest drives OPA.
//!
//! Each case folder holds `case.json` (what it covers, the extra flags, and
//! when rego-cpp cannot evaluate it, why), `policy/`, `plan.json`, optional
//! data files, and `expected.json`: the exit code and the policy findings.
//! tfaudit must report exactly `expected.json`; rego-cpp must agree with it on
//! everything but the addresses (which are tfaudit's). A case rego-cpp cannot
//! evaluate (a built-in it lacks) says so in `case.json`, and only there is
//! `expected.json` derived by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/opa_compat")
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("case.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the suite lost its cases: {cases:?}");
    cases
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Findings in one order, whatever order they came in.
fn sorted(mut findings: Vec<Value>) -> Vec<Value> {
    findings.sort_by_key(|finding| finding.to_string());
    findings
}

/// The exit code and the policy findings of `tfaudit plan` on a case.
fn tfaudit(case: &Path, spec: &Value) -> (i32, Vec<Value>, String) {
    let args: Vec<&str> = spec["args"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|arg| arg.as_str().unwrap())
        .collect();
    let output = Command::new(env!("CARGO_BIN_EXE_tfaudit"))
        .args([
            "plan",
            "plan.json",
            "--policy",
            "policy",
            "--format",
            "json",
        ])
        .args(&args)
        .current_dir(case)
        .env_remove("TFAUDIT_LOG")
        .env_remove("GUARDRAIL_NOW")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
    let findings = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|finding| {
            // The plans hold no other finding: policy findings are the test.
            let rule = finding["rule_id"].as_str().unwrap_or_default();
            assert!(rule.starts_with("policy/"), "{}: {finding}", case.display());
            let mut finding = finding.clone();
            finding.as_object_mut().unwrap().remove("severity");
            finding
        })
        .collect();
    (output.status.code().unwrap_or(-1), sorted(findings), stderr)
}

/// What rego-cpp gives for every case (`null` for a case it cannot evaluate).
fn oracle(cases: &[PathBuf]) -> Value {
    let python = guardrail_testkit::tools::workspace_root().join(".tools/venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make setup` (it installs regopy, the independent Rego engine)",
        python.display()
    );
    let output = Command::new(&python)
        .arg(cases_dir().join("oracle.py"))
        .args(cases)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "oracle.py failed (is regopy installed? run `make setup`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn without_addresses(findings: &[Value]) -> Vec<Value> {
    sorted(
        findings
            .iter()
            .map(|finding| {
                let mut finding = finding.clone();
                finding.as_object_mut().unwrap().remove("address");
                finding
            })
            .collect(),
    )
}

#[test]
fn tfaudit_and_rego_cpp_agree_on_every_case() {
    let cases = cases();
    let independent = oracle(&cases);
    let mut problems = Vec::new();
    let mut compared_with_rego_cpp = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let spec = read_json(&case.join("case.json"));
        let expected = read_json(&case.join("expected.json"));
        let expected_code = expected["exit_code"].as_i64().unwrap() as i32;
        let expected_findings = sorted(expected["findings"].as_array().unwrap().clone());

        let (code, findings, stderr) = tfaudit(case, &spec);
        if code != expected_code {
            problems.push(format!(
                "{name}: tfaudit exited {code}, expected {expected_code}: {stderr}"
            ));
        }
        if findings != expected_findings {
            problems.push(format!(
                "{name}: tfaudit found\n{}\nexpected\n{}",
                serde_json::to_string_pretty(&findings).unwrap(),
                serde_json::to_string_pretty(&expected_findings).unwrap()
            ));
        }

        let by_rego_cpp = &independent[&name];
        match (by_rego_cpp, spec["oracle"]["skip"].as_str()) {
            (Value::Null, Some(why)) => assert!(!why.is_empty(), "{name}: say why"),
            (Value::Null, None) => problems.push(format!("{name}: rego-cpp gave nothing")),
            (_, Some(_)) => problems.push(format!("{name}: skipped, yet rego-cpp answered")),
            (result, None) => {
                compared_with_rego_cpp += 1;
                if result["exit_code"].as_i64() != Some(expected_code as i64) {
                    problems.push(format!(
                        "{name}: rego-cpp's conftest exit code is {}, expected {expected_code}",
                        result["exit_code"]
                    ));
                }
                let theirs = sorted(result["findings"].as_array().unwrap().clone());
                let ours = without_addresses(&expected_findings);
                if theirs != ours {
                    problems.push(format!(
                        "{name}: rego-cpp found\n{}\nexpected.json says\n{}",
                        serde_json::to_string_pretty(&theirs).unwrap(),
                        serde_json::to_string_pretty(&ours).unwrap()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // Only the cases of built-ins rego-cpp lacks or gets wrong are hand-derived.
    assert!(
        compared_with_rego_cpp + 3 >= cases.len(),
        "only {compared_with_rego_cpp} of {} cases were compared with rego-cpp",
        cases.len()
    );
}

/// The suite can fail: a wrong expectation, in tfaudit's eyes and rego-cpp's,
/// is caught.
#[test]
fn a_wrong_expectation_is_caught() {
    let case = cases_dir().join("v1_deny_contains");
    let spec = read_json(&case.join("case.json"));
    let expected = read_json(&case.join("expected.json"));
    let (_, findings, _) = tfaudit(&case, &spec);
    let mut altered = expected["findings"].as_array().unwrap().clone();
    altered[0]["message"] = Value::String("main.deny: something else".into());
    assert_ne!(findings, sorted(altered.clone()));
    let independent = oracle(std::slice::from_ref(&case));
    let theirs = sorted(
        independent["v1_deny_contains"]["findings"]
            .as_array()
            .unwrap()
            .clone(),
    );
    assert_ne!(theirs, without_addresses(&altered));
    assert_eq!(theirs, without_addresses(&findings));
}
