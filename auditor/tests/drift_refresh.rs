//! `tfaudit drift --refresh-plan`: the `resource_drift` of a refresh-only plan,
//! narrowed to `relevant_attributes`, minus configured noise, sensitive values hidden.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use guardrail_testkit::tools;
use serde_json::Value;

fn plan() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/states/refresh-plan.json")
}

fn drift(args: &[&str], cwd: &Path) -> Output {
    Command::new(tools::tfaudit_bin())
        .arg("drift")
        .args(args)
        .current_dir(cwd)
        .env_remove("HCLOUD_TOKEN")
        .output()
        .expect("run tfaudit")
}

fn findings(output: &Output) -> Vec<(String, String, String)> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().into(),
                f["address"].as_str().unwrap().into(),
                f["message"].as_str().unwrap().into(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn refresh_drift_is_narrowed_to_relevant_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan().display().to_string();
    let output = drift(&["--refresh-plan", &plan, "--format", "json"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = vec![
        (
            "drift/changed",
            "module.kube_hetzner.hcloud_firewall.k3s",
            "changed outside Terraform: rule[0].source_ips[0]: 10.0.0.0/8 -> 0.0.0.0/0",
        ),
        (
            "drift/changed",
            "module.kube_hetzner.hcloud_server.control_planes[\"1-0-control-plane-nbg1\"]",
            "changed outside Terraform: labels.last_seen: 2026-01-01 -> 2026-02-01; server_type: cx22 -> cx32; user_data: (sensitive) -> (sensitive)",
        ),
        (
            "drift/missing",
            "module.kube_hetzner.hcloud_server.agents[\"0-0-agent-small\"]",
            "gone from the cloud: the refresh found no remote object",
        ),
    ];
    let expected: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|(a, b, c)| (a.into(), b.into(), c.into()))
        .collect();
    // `status` changed too but is not relevant; hcloud_volume.scratch has no relevant attributes.
    assert_eq!(findings(&output), expected);
    let everything = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !everything.contains("cGxhbnQtdXNlci1kYXRhLXNlY3JldC12YWx1ZQ"),
        "a sensitive value was printed"
    );
}

#[test]
fn configured_noise_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tfaudit.toml"),
        "fail_on = \"critical\"\n[drift.ignore]\nhcloud_server = [\"labels.last_seen\", \"user_data\"]\n",
    )
    .unwrap();
    let plan = plan().display().to_string();
    let output = drift(
        &[
            "--refresh-plan",
            &plan,
            "--config",
            "tfaudit.toml",
            "--format",
            "json",
        ],
        dir.path(),
    );
    // The configuration's fail_on applies: nothing is critical.
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let server = findings(&output)
        .into_iter()
        .find(|f| f.1.contains("control_planes"))
        .expect("the server still drifted");
    assert_eq!(
        server.2,
        "changed outside Terraform: server_type: cx22 -> cx32"
    );
}

#[test]
fn malformed_inputs_exit_2_naming_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("truncated.json"), "{\"resource_drift\": [").unwrap();
    std::fs::write(
        dir.path().join("shape.json"),
        "{\"resource_drift\": [{\"address\": \"a.b\", \"change\": {}}]}",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[drift.ignore]\nhcloud_server = \"labels\"\n",
    )
    .unwrap();
    let plan = plan().display().to_string();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--refresh-plan", "truncated.json"],
            "truncated.json:1:20: invalid JSON: EOF while parsing a list\n",
        ),
        (
            &["--refresh-plan", "shape.json"],
            "shape.json: field `resource_drift[0].change.actions`: expected an array of strings",
        ),
        (&["--refresh-plan", "absent.json"], "absent.json"),
        (
            &["--refresh-plan", &plan, "--config", "bad.toml"],
            "bad.toml: field `drift.ignore.hcloud_server`",
        ),
    ];
    for (args, expected) in cases {
        let output = drift(args, dir.path());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

/// The secrets of `refresh-plan-secrets.json`: a sensitive variable's value that
/// Terraform copied into an unmarked attribute, an unmarked GitHub token, and a
/// sensitive output's value (a kubeconfig with a private key) copied likewise.
const PLANTED_SECRETS: [&str; 3] = [
    "hcloud-api-token-Zq81rVx2Lm0pWt7Ks4Yd",
    "ghp_R8f2Kd91LmQz7XwV4pT0aBcD3eF6gH5jN2sY",
    "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0t",
];

#[test]
fn no_format_prints_a_secret_from_the_refresh_plan() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/states/refresh-plan-secrets.json")
        .display()
        .to_string();
    let formats = ["text", "json", "sarif", "junit", "markdown", "github"];
    for format in formats {
        let mut args = vec!["--refresh-plan", plan.as_str(), "--format", format];
        let reports: Vec<String> = formats
            .iter()
            .map(|name| {
                format!(
                    "{name}={}",
                    dir.path().join(format!("{format}.{name}")).display()
                )
            })
            .collect();
        for report in &reports {
            args.extend(["--report", report.as_str()]);
        }
        let output = drift(&args, dir.path());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut everything = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        for name in formats {
            let path = dir.path().join(format!("{format}.{name}"));
            everything.push_str(&std::fs::read_to_string(&path).expect("report written"));
        }
        assert!(
            everything.contains("drift/changed"),
            "{format}: the drift is still reported"
        );
        for secret in PLANTED_SECRETS {
            assert!(
                !everything.contains(secret),
                "{format}: `{secret}` was printed:\n{everything}"
            );
        }
    }

    let output = drift(&["--refresh-plan", &plan, "--format", "json"], dir.path());
    let messages: Vec<(String, String, String)> = findings(&output);
    let expected = [
        (
            "drift/changed",
            "hcloud_server.bastion",
            "changed outside Terraform: labels.ci: (sensitive) -> (sensitive); server_type: cx22 -> cx32",
        ),
        (
            "drift/changed",
            "terraform_data.bootstrap",
            "changed outside Terraform: input.kubeconfig: (sensitive) -> (sensitive); input.token: (sensitive) -> (sensitive)",
        ),
    ];
    let expected: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|(a, b, c)| (a.into(), b.into(), c.into()))
        .collect();
    assert_eq!(messages, expected);
}

#[test]
fn severity_overrides_and_waivers_apply_to_drift_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".tfaudit.toml"),
        r#"
[severity]
"drift/changed" = "critical"

[[waiver]]
rule = "drift/missing"
address = 'module.kube_hetzner.hcloud_server.agents["0-0-agent-small"]'
reason = "agent pool being retired"
owner = "platform-team"
expires = 2099-12-31

[[waiver]]
rule = "drift/changed"
address = 'module.kube_hetzner.hcloud_server.control_planes["*"]'
reason = "resize in progress"
owner = "platform-team"
expires = 2020-01-01
"#,
    )
    .unwrap();
    let plan = plan().display().to_string();
    let output = drift(&["--refresh-plan", &plan, "--format", "json"], dir.path());
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut found: Vec<(String, String, bool)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
                f["waived"].as_bool().unwrap(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("config/waiver-expired".into(), "medium".into(), false),
            ("drift/changed".into(), "critical".into(), false),
            ("drift/changed".into(), "critical".into(), false),
            ("drift/missing".into(), "high".into(), true),
        ]
    );
}

#[test]
fn unknown_rule_ids_and_settings_in_the_shared_configuration_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[severity]\n\"drift/chnaged\" = \"low\"\n",
            "field `severity.\"drift/chnaged\"`: unknown rule id",
        ),
        (
            "[drift.ignores]\nhcloud_server = [\"labels\"]\n",
            "field `drift.ignores`: unknown setting",
        ),
        (
            "[[waiver]]\nrule = \"drift/changed\"\nreason = \"r\"\nowner = \"o\"\n",
            "field `waiver[0].expires`: missing",
        ),
    ];
    let plan = plan().display().to_string();
    for (text, expected) in cases {
        std::fs::write(dir.path().join("bad.toml"), text).unwrap();
        let output = drift(
            &["--refresh-plan", &plan, "--config", "bad.toml"],
            dir.path(),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
        assert!(
            stderr.contains("bad.toml") && stderr.contains(expected),
            "{text}: {stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "nothing is printed on a bad configuration"
        );
    }
}
