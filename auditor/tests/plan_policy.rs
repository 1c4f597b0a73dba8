//! `tfaudit plan --policy DIR`: conftest-style Rego policies over the plan JSON.

use std::path::{Path, PathBuf};
use std::process::Output;

fn lifecycle_plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans/lifecycle/plan.json")
}

fn audit_with_policies(policies: &[(&str, &str)]) -> (Output, serde_json::Value) {
    audit_with_policies_and(policies, &["--all-namespaces"])
}

fn audit_with_policies_and(
    policies: &[(&str, &str)],
    flags: &[&str],
) -> (Output, serde_json::Value) {
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
        ])
        .args(if flags.contains(&"--fail-on") {
            &[][..]
        } else {
            &["--fail-on", "never"][..]
        })
        .arg("--policy")
        .arg(&policy_dir)
        .args(flags)
        .current_dir(dir.path())
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
                && f["waived"] == false
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
    // The excepted rule's result is reported waived, as conftest counts exceptions.
    let waived = waived_policy_findings(&report);
    assert_eq!(
        waived,
        vec![(
            "main.deny_secret: db_password is (sensitive)".to_string(),
            "exception `secret` in policy package main".to_string()
        )]
    );
}

fn waived_policy_findings(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["rule_id"]
                .as_str()
                .unwrap_or_default()
                .starts_with("policy/")
        })
        .filter(|f| f["waived"] == true)
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["waiver_reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

fn messages(report: &serde_json::Value) -> Vec<String> {
    policy_findings(report)
        .into_iter()
        .map(|(_, _, message)| message)
        .collect()
}

#[test]
fn only_package_main_is_evaluated_by_default_as_in_conftest() {
    let policies = [
        ("guard.rego", DELETES_V1),
        ("nested/legacy.rego", SECRET_V0),
    ];
    let (output, report) = audit_with_policies_and(&policies, &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(
        messages(&report),
        vec!["main.violation_moves: moves need review"]
    );

    let (_, report) = audit_with_policies_and(&policies, &["--namespace", "terraform.guard"]);
    let found = messages(&report);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(
        found.iter().all(|m| m.starts_with("terraform.guard.")),
        "{found:?}"
    );

    // Globs as conftest's: `*` crosses dots; repeated flags add up.
    let (_, report) =
        audit_with_policies_and(&policies, &["--namespace", "terra*", "--namespace", "main"]);
    assert_eq!(messages(&report).len(), 5);
    let (_, report) = audit_with_policies_and(&policies, &["--namespace", "ma?n"]);
    assert_eq!(
        messages(&report),
        vec!["main.violation_moves: moves need review"]
    );
    let (_, report) = audit_with_policies_and(&policies, &["--namespace", "terraform.[a-h]*"]);
    assert_eq!(messages(&report).len(), 4);
}

#[test]
fn a_namespace_no_policy_declares_warns_and_finds_nothing() {
    let (output, report) = audit_with_policies_and(&[("guard.rego", DELETES_V1)], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // No `main` package: no policy finding, and the run says why.
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("no policy under"), "{stderr}");
    assert!(stderr.contains("package `main`"), "{stderr}");
    assert!(stderr.contains("--all-namespaces"), "{stderr}");
    assert!(messages(&report).is_empty());

    let (output, report) = audit_with_policies_and(
        &[("guard.rego", DELETES_V1)],
        &["--namespace", "terraform.guard"],
    );
    assert!(String::from_utf8_lossy(&output.stderr).is_empty());
    assert_eq!(messages(&report).len(), 4);
}

/// `tfaudit plan` on the plan with no changes, policies in `policy/`.
fn audit_clean_plan(policy: &str, flags: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("policy")).unwrap();
    std::fs::write(dir.path().join("policy/main.rego"), policy).unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans/no_changes/plan.json");
    std::process::Command::new(env!("CARGO_BIN_EXE_tfaudit"))
        .arg("plan")
        .arg(plan)
        .args(["--policy", "policy"])
        .args(flags)
        .current_dir(dir.path())
        .output()
        .unwrap()
}

const DENY_ALWAYS: &str = r#"package main

import rego.v1

deny_region contains "region eu-west-9 is not allowed" if true

exception contains rules if {
  input.variables.allow_region.value == true
  rules := ["region"]
}

exception contains ["other"] if true
"#;

#[test]
fn denials_fail_the_run_and_exceptions_do_not() {
    let output = audit_clean_plan(DENY_ALWAYS, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("main.deny_region: region eu-west-9 is not allowed"),
        "{stdout}"
    );

    let excepted = DENY_ALWAYS.replace("input.variables.allow_region.value == true", "true");
    let output = audit_clean_plan(&excepted, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("(1 waived)"), "{stdout}");
    assert!(
        stdout.contains("waived: exception `region` in policy package main"),
        "{stdout}"
    );

    // A package --namespace leaves out does not fail the run.
    let output = audit_clean_plan(DENY_ALWAYS, &["--namespace", "other"]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn an_invalid_namespace_glob_exits_2() {
    let (output, _) =
        audit_with_policies_and(&[("guard.rego", DELETES_V1)], &["--namespace", "ma[in"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--namespace `ma[in`"), "{stderr}");
    assert!(stderr.contains("not closed"), "{stderr}");
}

#[test]
fn policy_flags_need_a_policy() {
    for flags in [
        &["--namespace", "main"][..],
        &["--all-namespaces"],
        &["--data", "x.json"],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_tfaudit"))
            .args(["plan", lifecycle_plan().to_str().unwrap()])
            .args(flags)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains("--policy"), "{stderr}");
    }
}

const METADATA: &str = r#"package main

import rego.v1

deny_ports contains {"msg": "port 22 is open", "severity_hint": "critical", "ports": [22], "_loc": {"file": "x", "line": 1}} if true

warn contains {"msg": sprintf("db_password is %s", [input.variables.db_password.value]), "value": input.variables.db_password.value} if true

deny contains "" if true

deny_ignored contains 42 if true
"#;

#[test]
fn result_objects_keep_their_metadata_as_conftest_does() {
    let (output, report) = audit_with_policies_and(&[("meta.rego", METADATA)], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let policy: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("policy/"))
        .collect();
    // The empty message is a pass and the number is ignored, as in conftest.
    assert_eq!(policy.len(), 2, "{policy:?}");
    let ports = policy
        .iter()
        .find(|f| f["rule_id"] == "policy/deny")
        .unwrap();
    assert_eq!(ports["message"], "main.deny_ports: port 22 is open");
    assert_eq!(
        ports["metadata"],
        serde_json::json!({"severity_hint": "critical", "ports": [22], "query": "data.main.deny_ports"})
    );
    let warn = policy
        .iter()
        .find(|f| f["rule_id"] == "policy/warn")
        .unwrap();
    assert_eq!(warn["message"], "main.warn: db_password is (sensitive)");
    assert_eq!(warn["metadata"]["value"], "(sensitive)");
    assert!(!stdout.contains("Sup3r-S3cret-Passw0rd"));
}

#[test]
fn a_result_object_without_msg_exits_2() {
    let policy =
        "package main\n\nimport rego.v1\n\ndeny_tags contains {\"message\": \"x\"} if true\n";
    let (output, _) = audit_with_policies_and(&[("tags.rego", policy)], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        stderr.contains("policy package main, rule `deny_tags`"),
        "{stderr}"
    );
    assert!(stderr.contains("no string `msg`"), "{stderr}");
}

#[test]
fn deny_if_without_contains_is_refused_as_in_conftest() {
    let policy = "package main\n\nimport rego.v1\n\ndeny[msg] if {\n  msg := \"no\"\n}\n";
    let (output, _) = audit_with_policies_and(&[("object.rego", policy)], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("rule `deny`"), "{stderr}");
    assert!(stderr.contains("deny contains msg if"), "{stderr}");
}

const USES_DATA: &str = r#"package main

import rego.v1

deny contains sprintf("%s is not in %v", [rc.type, data.allowed.types]) if {
  some rc in input.resource_changes
  not rc.type in data.allowed.types
}

warn contains sprintf("owner %s, team %s", [data.owner, data.teams.platform.lead]) if true
"#;

/// Runs `--policy` with USES_DATA and the `--data` flags after writing `files` in the run's folder.
fn audit_with_data(files: &[(&str, &str)], data: &[&str]) -> (Output, serde_json::Value, PathBuf) {
    let dir = tempfile::tempdir().unwrap().keep();
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::write(dir.join("policy/main.rego"), USES_DATA).unwrap();
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    command
        .args([
            "plan",
            lifecycle_plan().to_str().unwrap(),
            "--format",
            "json",
        ])
        .args([
            "--fail-on",
            "never",
            "--policy",
            "policy",
            "--report",
            "json=out/report.json",
        ])
        .current_dir(&dir);
    for path in data {
        command.args(["--data", path]);
    }
    let output = command.output().unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_default();
    (output, report, dir)
}

#[test]
fn data_files_and_folders_merge_under_data_like_conftest() {
    let (output, report, dir) = audit_with_data(
        &[
            ("owner.json", r#"{"owner": "platform"}"#),
            // A folder's files go below their folder's path: data.allowed, data.teams.platform.
            ("shared/allowed/types.yaml", "types:\n  - terraform_data\n"),
            ("shared/teams/platform/lead.yml", "lead: ana\n"),
            ("shared/teams/platform/notes.txt", "not data"),
            ("shared/teams/policy.rego", "not a data file either"),
        ],
        &["owner.json", "shared"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(
        messages(&report),
        vec!["main.warn: owner platform, team ana"]
    );
    assert!(dir.join("out/report.json").is_file());
}

#[test]
fn unparsable_data_exits_2_naming_the_file_and_position_and_writes_nothing() {
    for (name, text, expected) in [
        ("bad.json", "{\"owner\": \"platform\",\n  oops}\n", "bad.json:2:3: invalid JSON: key must be a string"),
        ("bad.yaml", "owner: platform\nteams: [a\n", "bad.yaml:3:1: invalid YAML"),
        ("list.json", "[1, 2]", "list.json: expected an object at the top level (merged at the root of `data`), got an array"),
        ("notes.txt", "x", "notes.txt: expected a .json, .yaml or .yml file"),
    ] {
        let (output, _, dir) = audit_with_data(&[(name, text)], &[name]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(&format!("--data {expected}")), "{name}: {stderr}");
        assert!(output.stdout.is_empty(), "{name}");
        assert!(!dir.join("out").exists(), "{name}: a report was written");
    }
    let (output, _, _) = audit_with_data(&[], &["missing.yaml"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("missing.yaml: cannot read"), "{stderr}");
}

#[test]
fn two_data_files_setting_one_key_exit_2_naming_both() {
    let (output, _, dir) = audit_with_data(
        &[
            (
                "a/teams.json",
                r#"{"teams": {"platform": {"lead": "ana"}}, "owner": "x"}"#,
            ),
            ("b/teams/platform/lead.yaml", "lead: bo\n"),
        ],
        &["a", "b"],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--data b/teams/platform/lead.yaml: sets `data.teams.platform.lead`, which a/teams.json already sets"),
        "{stderr}"
    );
    assert!(!dir.join("out").exists());

    // Objects that meet merge key by key.
    let (output, report, _) = audit_with_data(
        &[
            (
                "a/teams.json",
                r#"{"teams": {"platform": {"lead": "ana"}}, "owner": "x"}"#,
            ),
            ("b/teams/other/lead.yaml", "lead: bo\n"),
        ],
        &["a", "b"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(messages(&report), vec!["main.warn: owner x, team ana"]);
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

#[test]
fn data_that_sets_a_policy_rule_exits_2() {
    // Data must not pose as a rule's results (OPA refuses data and rules at one path).
    for (text, key) in [
        (r#"{"main": {"warn": ["forged result"]}}"#, "data.main.warn"),
        (r#"{"main": {"exception": [["x"]]}}"#, "data.main.exception"),
        (r#"{"main": "not an object"}"#, "data.main"),
    ] {
        let (output, _, dir) = audit_with_data(&[("forged.json", text)], &["forged.json"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "--data forged.json: sets `{key}`, which belongs to policy package main"
            )),
            "{stderr}"
        );
        assert!(!dir.join("out").exists());
    }
    // Data of its own inside a package's path is fine.
    let (output, report, _) = audit_with_data(
        &[(
            "own.json",
            r#"{"main": {"limits": [1]}, "owner": "o", "teams": {"platform": {"lead": "l"}}}"#,
        )],
        &["own.json"],
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(messages(&report), vec!["main.warn: owner o, team l"]);
}
