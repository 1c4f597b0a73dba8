//! `tfaudit state` on local files: every rule's finding, the exit codes, the
//! journal, and that no secret value ever reaches any output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use guardrail_testkit::tools;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/states")
}

fn tfaudit(args: &[&str], cwd: &Path) -> Output {
    Command::new(tools::tfaudit_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("AWS_ENDPOINT_URL_S3")
        .env_remove("TFAUDIT_JOURNAL_ACCESS_KEY_ID")
        .env_remove("TFAUDIT_JOURNAL_SECRET_ACCESS_KEY")
        .output()
        .expect("run tfaudit")
}

fn json_findings(output: &Output) -> Vec<(String, String, String)> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not JSON ({error}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut findings: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap_or_default().to_owned(),
                f["address"].as_str().unwrap_or_default().to_owned(),
                f["message"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    findings.sort();
    findings
}

/// A scratch folder holding a copy of `cluster.tfstate`, edited by `edit`.
fn cluster_copy(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut state: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("cluster.tfstate")).unwrap())
            .unwrap();
    edit(&mut state);
    let path = dir.join("cluster.tfstate");
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    path
}

#[test]
fn every_state_rule_reports_what_it_found() {
    let output = tfaudit(&["state", "mixed", "--format", "json"], &fixtures());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found: Vec<(String, String)> = json_findings(&output)
        .into_iter()
        .map(|(rule, address, _)| (rule, address))
        .collect();
    let expected: Vec<(&str, &str)> = vec![
        (
            "state/deposed",
            "mixed/tainted.tfstate#hcloud_load_balancer.ingress",
        ),
        ("state/empty", "mixed/empty.tfstate"),
        (
            "state/output-secret-not-sensitive",
            "mixed/leaky.tfstate#output.admin_password",
        ),
        (
            "state/output-secret-not-sensitive",
            "mixed/leaky.tfstate#output.hcloud_token",
        ),
        (
            "state/secret-in-attributes",
            "mixed/leaky.tfstate#null_resource.bootstrap",
        ),
        (
            "state/secret-in-attributes",
            "mixed/leaky.tfstate#tls_private_key.ssh",
        ),
        (
            "state/tainted",
            "mixed/tainted.tfstate#hcloud_server.bastion",
        ),
        ("state/unreadable", "mixed/broken.tfstate"),
        ("state/unreadable", "mixed/v3.tfstate"),
        ("state/version-skew", "local"),
    ];
    let expected: Vec<(String, String)> = expected
        .into_iter()
        .map(|(r, a)| (r.to_owned(), a.to_owned()))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn findings_name_paths_and_reasons_but_never_secret_values() {
    let secrets = [
        "Qm9R7tX2vLp8sK4nW1yZ6cH3jF0dA5gE9uB2iM7oT4rV1xN8qS3wY6kP0lJ5hG2f",
        "Correct-Horse-7",
        "ghp_4Zs9QpX1mR7tY2uW8vK3nB6cL0jH5gF1dA9e",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
        "MC4CAQAwBQYDK2VwBCIEIGZha2Uta2V5",
        "ZmFrZS1rM3MtdG9rZW4tbWFya2VkLXNlbnNpdGl2ZQ9x",
    ];
    let scratch = tempfile::tempdir().unwrap();
    for format in ["text", "json", "sarif", "junit", "markdown", "github"] {
        let report = scratch.path().join(format!("report.{format}"));
        let report_arg = format!("{format}={}", report.display());
        let output = tfaudit(
            &[
                "state",
                ".",
                "--format",
                format,
                "--report",
                &report_arg,
                "--fail-on",
                "never",
            ],
            &fixtures(),
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let everything = format!(
            "{}{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(&report).unwrap()
        );
        for secret in secrets {
            assert!(
                !everything.contains(secret),
                "{format} output shows a secret value"
            );
        }
    }
    let output = tfaudit(
        &["state", "mixed/leaky.tfstate", "--format", "json"],
        &fixtures(),
    );
    let messages: Vec<String> = json_findings(&output)
        .into_iter()
        .map(|(_, _, m)| m)
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`triggers.token`") && m.contains("GitHub token")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`private_key_openssh`") && m.contains("PEM private key")),
        "{messages:?}"
    );
    // private_key_pem is listed in sensitive_attributes: not a finding.
    assert!(
        !messages.iter().any(|m| m.contains("private_key_pem")),
        "{messages:?}"
    );
}

#[test]
fn a_clean_state_passes_and_unreadable_states_name_the_problem() {
    let output = tfaudit(
        &["state", "cluster.tfstate", "--format", "json"],
        &fixtures(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(json_findings(&output).is_empty());

    let output = tfaudit(
        &[
            "state",
            "mixed/broken.tfstate",
            "mixed/v3.tfstate",
            "--format",
            "json",
        ],
        &fixtures(),
    );
    let messages: Vec<String> = json_findings(&output)
        .into_iter()
        .map(|(_, _, m)| m)
        .collect();
    assert_eq!(
        messages,
        [
            "cannot read the state: line 1, column 114: invalid JSON: EOF while parsing a string",
            "cannot read the state: field `version`: expected 4 (Terraform state format v4), found 3",
        ]
    );
}

#[test]
fn stale_locks_are_reported_with_their_holder() {
    let dir = tempfile::tempdir().unwrap();
    let state = cluster_copy(dir.path(), |_| {});
    let created = chrono::Utc::now() - chrono::Duration::hours(3);
    let lock = serde_json::json!({
        "ID": "8e4a1c2b-5d6f-4a7b-9c0d-1e2f3a4b5c6d", "Operation": "OperationTypeApply", "Info": "",
        "Who": "runner@ci-7", "Version": "1.11.4", "Created": created.to_rfc3339(), "Path": "tf/cluster.tfstate"
    });
    std::fs::write(format!("{}.tflock", state.display()), lock.to_string()).unwrap();

    let output = tfaudit(
        &["state", "cluster.tfstate", "--format", "json"],
        dir.path(),
    );
    let findings = json_findings(&output);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let (rule, address, message) = &findings[0];
    assert_eq!(
        (rule.as_str(), address.as_str()),
        ("state/stale-lock", "cluster.tfstate")
    );
    for part in [
        "8e4a1c2b-5d6f-4a7b-9c0d-1e2f3a4b5c6d",
        "runner@ci-7",
        "OperationTypeApply",
        "for 3h00m",
    ] {
        assert!(message.contains(part), "{message}");
    }
    // Medium is below the default threshold.
    assert_eq!(output.status.code(), Some(0));

    let output = tfaudit(
        &[
            "state",
            "cluster.tfstate",
            "--format",
            "json",
            "--stale-lock-after",
            "4h",
        ],
        dir.path(),
    );
    assert!(json_findings(&output).is_empty());
    let output = tfaudit(
        &["state", "cluster.tfstate", "--fail-on", "medium"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn a_local_journal_catches_rollbacks_and_replaced_lineages() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    let journal_arg = journal.display().to_string();
    let run = |dir: &Path| {
        tfaudit(
            &[
                "state",
                "cluster.tfstate",
                "--journal",
                &journal_arg,
                "--format",
                "json",
            ],
            dir,
        )
    };

    cluster_copy(dir.path(), |_| {});
    let first = run(dir.path());
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let records: Vec<Value> = std::fs::read_to_string(&journal)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["key"], "cluster.tfstate");
    assert_eq!(records[0]["serial"], 42);
    assert_eq!(
        records[0]["lineage"],
        "6f1c2d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f"
    );
    assert_eq!(records[0]["resources"], 12);
    assert_eq!(records[0]["sha256"].as_str().map(str::len), Some(64));

    // An older state written back: serial 40 < 42.
    cluster_copy(dir.path(), |state| state["serial"] = 40.into());
    let rolled_back = run(dir.path());
    assert_eq!(rolled_back.status.code(), Some(1));
    let findings = json_findings(&rolled_back);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, "state/serial-regression");
    assert!(
        findings[0]
            .2
            .starts_with("serial 40 is lower than serial 42"),
        "{}",
        findings[0].2
    );

    // Same serial as the newest record, different content.
    cluster_copy(dir.path(), |state| {
        state["outputs"]["network_id"]["value"] = "2002".into()
    });
    let rewritten = json_findings(&run(dir.path()));
    assert_eq!(rewritten.len(), 1, "{rewritten:?}");
    assert!(
        rewritten[0]
            .2
            .starts_with("content changed under the same serial 42"),
        "{}",
        rewritten[0].2
    );

    // A fresh lineage on the same key.
    cluster_copy(dir.path(), |state| {
        state["lineage"] = "99999999-0000-4000-8000-000000000001".into();
        state["serial"] = 1.into();
    });
    let replaced = json_findings(&run(dir.path()));
    assert_eq!(replaced.len(), 1, "{replaced:?}");
    assert_eq!(replaced[0].0, "state/lineage-changed");
    assert!(
        replaced[0]
            .2
            .contains("from 6f1c2d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f"),
        "{}",
        replaced[0].2
    );
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap().lines().count(),
        4
    );
}

#[test]
fn usage_and_input_errors_exit_2_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["state", "missing.tfstate"], "missing.tfstate"),
        (
            &["state", "cluster.tfstate", "--stale-lock-after", "2x"],
            "unknown unit `x`",
        ),
        (&["state", "s3:///key"], "no bucket name"),
        (
            &[
                "state",
                "cluster.tfstate",
                "--journal",
                "s3://journal/runs/",
            ],
            "TFAUDIT_JOURNAL_ACCESS_KEY_ID",
        ),
        (
            &["state", "cluster.tfstate", "--report", "yaml=out.yaml"],
            "unknown format `yaml`",
        ),
    ];
    cluster_copy(dir.path(), |_| {});
    for (args, expected) in cases {
        let output = tfaudit(args, dir.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // A usage error is found before anything is recorded.
    let output = tfaudit(
        &[
            "state",
            "cluster.tfstate",
            "--journal",
            "journal.jsonl",
            "--report",
            "yaml=out.yaml",
        ],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.path().join("journal.jsonl").exists());

    std::fs::write(
        dir.path().join("journal.jsonl"),
        "{\"key\": \"cluster.tfstate\"}\n",
    )
    .unwrap();
    let output = tfaudit(
        &["state", "cluster.tfstate", "--journal", "journal.jsonl"],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("journal.jsonl:1") && stderr.contains("lineage"),
        "{stderr}"
    );
}

#[test]
fn provider_schema_skew_across_states_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let newer = dir.path().join("a");
    let older = dir.path().join("b");
    std::fs::create_dir_all(&newer).unwrap();
    std::fs::create_dir_all(&older).unwrap();
    cluster_copy(&newer, |_| {});
    cluster_copy(&older, |state| {
        for resource in state["resources"].as_array_mut().unwrap() {
            if resource["type"] == "hcloud_volume" {
                resource["instances"][0]["schema_version"] = 1.into();
            }
        }
    });
    let output = tfaudit(&["state", ".", "--format", "json"], dir.path());
    let findings = json_findings(&output);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, "state/version-skew");
    assert_eq!(
        findings[0].2,
        "provider registry.terraform.io/hetznercloud/hcloud wrote hcloud_volume at different schema versions: \
         schema 0 in ./a/cluster.tfstate; schema 1 in ./b/cluster.tfstate"
    );
}

/// One `.tfaudit.toml` serves every command: `[severity]` and `[[waiver]]` name
/// plan, state and drift rules alike, and each command applies what concerns it.
#[test]
fn one_configuration_serves_plan_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("shared.toml");
    std::fs::write(
        &config,
        r#"
fail_on = "high"

[severity]
"plan/moved" = "low"
"state/empty" = "critical"
"state/version-skew" = "info"
"drift/changed" = "low"

[[waiver]]
rule = "state/secret-in-attributes"
address = "*leaky.tfstate#tls_private_key.*"
reason = "throwaway key of the lab"
owner = "platform-team"
expires = 2099-12-31

[[waiver]]
rule = "state/tainted"
address = "*#hcloud_server.bastion"
reason = "rebuild scheduled"
owner = "platform-team"
expires = 2020-06-30
"#,
    )
    .unwrap();
    let config = config.display().to_string();
    let output = tfaudit(
        &["state", "mixed", "--config", &config, "--format", "json"],
        &fixtures(),
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let by_rule = |rule: &str| -> Vec<(String, String, bool)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| {
                (
                    f["address"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                    f["waived"].as_bool().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(
        by_rule("state/empty"),
        [("mixed/empty.tfstate".into(), "critical".into(), false)]
    );
    assert_eq!(
        by_rule("state/version-skew"),
        [("local".into(), "info".into(), false)]
    );
    let mut secrets = by_rule("state/secret-in-attributes");
    secrets.sort();
    assert_eq!(
        secrets,
        [
            (
                "mixed/leaky.tfstate#null_resource.bootstrap".into(),
                "high".into(),
                false
            ),
            (
                "mixed/leaky.tfstate#tls_private_key.ssh".into(),
                "high".into(),
                true
            ),
        ]
    );
    // The expired waiver no longer applies and is itself reported.
    assert!(by_rule("state/tainted").iter().all(|f| !f.2));
    assert_eq!(
        by_rule("config/waiver-expired")
            .into_iter()
            .map(|f| f.0)
            .collect::<Vec<_>>(),
        [format!("{config}#waiver[1]")]
    );

    // `tfaudit plan` accepts the same file, state and drift ids included.
    let plan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plans/no_changes/plan.json")
        .display()
        .to_string();
    let output = tfaudit(
        &["plan", &plan, "--config", &config, "--format", "json"],
        &fixtures(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

#[test]
fn a_bad_shared_configuration_stops_every_command_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/plans/no_changes/plan.json")
        .display()
        .to_string();
    let state = fixtures().join("mixed/empty.tfstate").display().to_string();
    let cases = [
        (
            "[severity]\n\"state/stale-locks\" = \"low\"\n",
            "field `severity.\"state/stale-locks\"`: unknown rule id `state/stale-locks`",
        ),
        (
            "fail_on = \"high\"\n[journal]\npath = \"x\"\n",
            "field `journal`: unknown setting",
        ),
        (
            "[[waiver]]\nrule = \"state/empty\"\nreason = \"r\"\nowner = \"o\"\nexpires = 2099-01-01\n\n[[waiver]]\nrule = \"state/empty\"\nreason = \"r\"\nowner = \"o\"\n",
            "field `waiver[1].expires`: missing",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(dir.path().join(".tfaudit.toml"), text).unwrap();
        for command in [vec!["state", state.as_str()], vec!["plan", plan.as_str()]] {
            let output = tfaudit(&command, dir.path());
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                output.status.code(),
                Some(2),
                "{command:?} {text}: {stderr}"
            );
            assert!(
                stderr.contains(".tfaudit.toml") && stderr.contains(expected),
                "{command:?} {text}: {stderr}"
            );
        }
    }
}
