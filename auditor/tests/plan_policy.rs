//! `tfaudit plan --policy DIR`: conftest-style Rego policies over the plan JSON.

use std::path::{Path, PathBuf};
use std::process::Output;

fn lifecycle_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans/lifecycle/plan.json")
}

fn audit_with_policies(policies: &[(&str, &str)]) -> (Output, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let policy_dir = dir.path().join("policy");
    std::fs::create_dir_all(policy_dir.join("nested")).unwrap();
    for (name, text) in policies {
        std::fs::write(policy_dir.join(name), text).unwrap();
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tfaudit"))
        .args([
            "plan",
            lifecycle_plan().to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .arg("--policy")
        .arg(&policy_dir)
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_default();
    (output, report)
}

fn policy_findings(report: &serde_json::Value) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["rule_id"]
                .as_str()
                .unwrap_or_default()
                .starts_with("policy/")
        })
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_string(),
                f["address"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

const DELETES_V1: &str = r#"package terraform.guard

deny contains msg if {
  some rc in input.resource_changes
  rc.type == "terraform_data"
  rc.change.actions == ["delete"]
  msg := sprintf("%s must not be deleted", [rc.address])
}

warn_outputs contains {"msg": "admin output changes", "address": "output.admin_password"} if {
  input.output_changes.admin_password
}
"#;

const SECRET_V0: &str = r#"package main

deny_secret[msg] {
  input.variables.db_password.value
  msg := sprintf("db_password is %s", [input.variables.db_password.value])
}

exception[rules] {
  rules := ["secret"]
}

violation_moves[msg] {
  some i
  input.resource_changes[i].previous_address
  msg := "moves need review"
}
"#;

#[test]
fn deny_warn_and_exceptions_become_findings() {
    let (output, report) = audit_with_policies(&[
        ("guard.rego", DELETES_V1),
        ("nested/legacy.rego", SECRET_V0),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found = policy_findings(&report);
    let expected = [
        (
            "policy/deny",
            "module.pool[1].terraform_data.node",
            "terraform.guard.deny: module.pool[1].terraform_data.node must not be deleted",
        ),
        (
            "policy/deny",
            "module.zones[\"b\"].terraform_data.node",
            "terraform.guard.deny: module.zones[\"b\"].terraform_data.node must not be deleted",
        ),
        (
            "policy/deny",
            "policy.main.violation_moves[0]",
            "main.violation_moves: moves need review",
        ),
        (
            "policy/deny",
            "terraform_data.gone",
            "terraform.guard.deny: terraform_data.gone must not be deleted",
        ),
        (
            "policy/warn",
            "output.admin_password",
            "terraform.guard.warn_outputs: admin output changes",
        ),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(found, expected);
}

/// The built-in functions conftest policies use every day are there (they
/// come with OPA; an engine built without them fails "could not find function").
const CONFTEST_BUILTINS: &str = r#"package builtins

import rego.v1

checks := {
  "regex.match": regex.match(`^terraform_data\.`, "terraform_data.gone"),
  "glob.match": glob.match("module.*.terraform_data.*", ["."], "module.pool.terraform_data.node"),
  "time.now_ns": time.now_ns() > 0,
  "net.cidr_contains": net.cidr_contains("10.0.0.0/8", "10.1.2.3"),
  "base64.encode": base64.encode("guardrail") == "Z3VhcmRyYWls",
  "semver.is_valid": semver.is_valid("1.11.4"),
  "yaml.marshal": yaml.marshal({"a": 1}) != "",
  "json.match_schema": json.match_schema({"n": 1}, {"type": "object", "required": ["n"]})[0],
}

deny contains sprintf("%s is missing or false", [name]) if {
  some name in ["regex.match", "glob.match", "time.now_ns", "net.cidr_contains",
    "base64.encode", "semver.is_valid", "yaml.marshal", "json.match_schema"]
  not checks[name]
}

warn contains sprintf("%d builtins checked", [count(checks)]) if true
"#;

#[test]
fn conftest_builtins_are_available() {
    let (output, report) = audit_with_policies(&[("builtins.rego", CONFTEST_BUILTINS)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let found = policy_findings(&report);
    assert_eq!(
        found,
        vec![(
            "policy/warn".to_string(),
            "policy.builtins.warn[0]".to_string(),
            "builtins.warn: 8 builtins checked".to_string()
        )],
        "{stderr}"
    );
}

#[test]
fn policy_messages_are_redacted() {
    let without_exception = SECRET_V0.replace("[\"secret\"]", "[\"other\"]");
    let (output, report) = audit_with_policies(&[("legacy.rego", &without_exception)]);
    assert!(!String::from_utf8_lossy(&output.stdout).contains("Sup3r-S3cret-Passw0rd"));
    let found = policy_findings(&report);
    assert!(
        found
            .iter()
            .any(|(_, _, message)| message == "main.deny_secret: db_password is (sensitive)"),
        "{found:?}"
    );
}

#[test]
fn invalid_policies_exit_2_naming_the_file_and_line() {
    let (output, _) = audit_with_policies(&[("broken.rego", "package broken\n\ndeny { oops\n")]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("broken.rego"), "{stderr}");
    assert!(stderr.contains("invalid Rego"), "{stderr}");
    assert!(stderr.contains(":3:"), "{stderr}");
}
