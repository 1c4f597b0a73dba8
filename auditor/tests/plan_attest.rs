//! `tfaudit plan --attest` against a real S3 server (moto): a passing plan
//! publishes an envelope the change gate's verification accepts; a failing or
//! frozen plan publishes nothing and says why.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use chrono::Utc;
use guardrail_core::attestation::{self, Envelope, Verdict};
use guardrail_core::lock::{lock_key, LockRecord};
use guardrail_testkit::S3Server;

const PLAN_ID: &str = "7d3c9a1e-2b4f-4e6a-8c0d-1f2e3a4b5c6d";
const ENVIRONMENT: &str = "staging";

fn gate_plan(extra_change: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "timestamp": "2026-11-24T10:00:00Z",
        "planned_values": {"root_module": {}},
        "configuration": {"provider_config": {"guardrail": {
            "name": "guardrail",
            "expressions": {"environment": {"constant_value": ENVIRONMENT}}
        }}},
        "resource_changes": [
            {
                "address": "guardrail_change_gate.staging",
                "mode": "managed",
                "type": "guardrail_change_gate",
                "name": "staging",
                "provider_name": "registry.terraform.io/sre-control-plane/guardrail",
                "change": {
                    "actions": ["update"],
                    "before": {"environment": ENVIRONMENT, "plan_id": "old"},
                    "after": {"environment": ENVIRONMENT, "plan_id": PLAN_ID, "change_window": [], "break_glass": []},
                    "after_unknown": {"decision": true}
                }
            },
            extra_change
        ]
    })
}

fn create(address: &str) -> serde_json::Value {
    serde_json::json!({
        "address": address, "mode": "managed", "type": "terraform_data", "name": "x",
        "provider_name": "terraform.io/builtin/terraform",
        "change": {"actions": ["create"], "before": null, "after": {"input": "1"}, "after_unknown": {"id": true}}
    })
}

fn destroy(address: &str) -> serde_json::Value {
    serde_json::json!({
        "address": address, "mode": "managed", "type": "terraform_data", "name": "x",
        "provider_name": "terraform.io/builtin/terraform",
        "change": {"actions": ["delete"], "before": {"input": "1"}, "after": null}
    })
}

struct Setup {
    server: S3Server,
    dir: tempfile::TempDir,
    key_file: PathBuf,
    public_key: String,
}

fn setup() -> Setup {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("attest.pem");
    let output = Command::new(env!("CARGO_BIN_EXE_tfaudit"))
        .args(["keygen", "--out", key_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let public_key = String::from_utf8(output.stdout).unwrap().trim().to_string();
    Setup {
        server,
        dir,
        key_file,
        public_key,
    }
}

fn audit(setup: &Setup, plan: &Path, attest: bool) -> Output {
    audit_with(setup, plan, attest, &[])
}

fn audit_with(setup: &Setup, plan: &Path, attest: bool, extra: &[&str]) -> Output {
    let store = format!("s3://{}/guardrail", setup.server.bucket());
    let mut command = Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    command.args([
        "plan",
        plan.to_str().unwrap(),
        "--store",
        &store,
        "--format",
        "json",
    ]);
    if attest {
        command.args([
            "--attest",
            "--signing-key",
            setup.key_file.to_str().unwrap(),
            "--attestation-ttl",
            "2h",
        ]);
    }
    command.args(extra);
    for (key, value) in setup.server.env() {
        command.env(key, value);
    }
    command.current_dir(setup.dir.path()).output().unwrap()
}

fn write_plan(setup: &Setup, name: &str, plan: &serde_json::Value) -> PathBuf {
    let path = setup.dir.path().join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(plan).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_passing_plan_publishes_an_attestation_the_gate_accepts() {
    let setup = setup();
    let plan = write_plan(
        &setup,
        "pass.json",
        &gate_plan(create("terraform_data.new")),
    );
    // `--store` without `--attest` checks freezes only: it passes, signs nothing.
    let checked = audit(&setup, &plan, false);
    let message = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(checked.status.code(), Some(0), "{message}");
    assert!(!message.contains("attestation"), "{message}");
    assert!(setup.server.keys().await.is_empty());

    let output = audit(&setup, &plan, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let key = format!(
        "guardrail/{}",
        attestation::attestation_key(ENVIRONMENT, PLAN_ID)
    );
    assert!(
        stderr.contains(&attestation::attestation_key(ENVIRONMENT, PLAN_ID)),
        "{stderr}"
    );

    assert_eq!(setup.server.keys().await, vec![key.clone()]);
    let body = setup
        .server
        .get(&key)
        .await
        .expect("the attestation object exists");
    let envelope: Envelope = serde_json::from_slice(&body).unwrap();
    let trusted = attestation::parse_public_key(&setup.public_key).unwrap();
    let verified = attestation::verify(&envelope, &[trusted], ENVIRONMENT, PLAN_ID, Utc::now())
        .expect("the gate accepts it");
    assert_eq!(verified.verdict, Verdict::Pass);
    let digest = attestation::plan_digest(&std::fs::read(&plan).unwrap());
    assert_eq!(verified.plan_digest, digest);
    assert_eq!(verified.auditor_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(verified.summary["changes"]["create"], 1);
    assert_eq!(verified.summary["changes"]["update"], 1);
    // Findings by severity, as the report counts them.
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        verified.summary["findings"], report["summary"]["findings"],
        "{}",
        verified.summary
    );
    for severity in ["info", "low", "medium", "high", "critical"] {
        assert!(
            verified.summary["findings"][severity].is_u64(),
            "{severity}"
        );
    }
    assert_eq!(verified.summary["findings"]["high"], 0);
    let lifetime = verified.expires_at - verified.issued_at;
    assert_eq!(lifetime.num_minutes(), 120);

    // Another environment or plan id, or a time after expiry, is refused.
    let later = Utc::now() + chrono::Duration::hours(3);
    assert!(attestation::verify(&envelope, &[trusted], "production", PLAN_ID, Utc::now()).is_err());
    assert!(
        attestation::verify(&envelope, &[trusted], ENVIRONMENT, "other-plan", Utc::now()).is_err()
    );
    assert!(attestation::verify(&envelope, &[trusted], ENVIRONMENT, PLAN_ID, later).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_plan_publishes_nothing_and_says_why() {
    let setup = setup();
    let plan = write_plan(
        &setup,
        "fail.json",
        &gate_plan(destroy("terraform_data.old")),
    );
    let output = audit(&setup, &plan, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("attestation refused"), "{stderr}");
    assert!(
        stderr.contains("1 finding(s) at or above `high`"),
        "{stderr}"
    );
    let keys = setup.server.keys().await;
    assert!(
        keys.iter().all(|key| !key.contains("attestations/")),
        "{keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_environment_is_a_critical_finding_and_blocks_the_attestation() {
    let setup = setup();
    let now = Utc::now();
    let record = LockRecord {
        environment: ENVIRONMENT.into(),
        lock_id: "5f0c6a52-3f4e-4a8b-9a0e-2d1c3b4a5e6f".into(),
        owner: "release-manager".into(),
        reason: "quarter-end freeze".into(),
        acquired_at: now,
        expires_at: Some(now + chrono::Duration::hours(4)),
        generation: 1,
        released_at: None,
        ..Default::default()
    };
    setup
        .server
        .client()
        .await
        .put_object()
        .bucket(setup.server.bucket())
        .key(format!("guardrail/{}", lock_key(ENVIRONMENT)))
        .body(serde_json::to_vec(&record).unwrap().into())
        .send()
        .await
        .unwrap();
    let plan = write_plan(
        &setup,
        "frozen.json",
        &gate_plan(create("terraform_data.new")),
    );

    let output = audit(&setup, &plan, false);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let frozen = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["rule_id"] == "plan/environment-frozen")
        .expect("a freeze finding");
    assert_eq!(frozen["severity"], "critical");
    let message = frozen["message"].as_str().unwrap();
    assert!(
        message.contains("release-manager") && message.contains("quarter-end freeze"),
        "{message}"
    );

    let output = audit(&setup, &plan, true);
    assert_eq!(output.status.code(), Some(1));
    let keys = setup.server.keys().await;
    assert!(
        keys.iter().all(|key| !key.contains("attestations/")),
        "{keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_report_or_signing_key_fails_before_anything_is_published() {
    let setup = setup();
    let plan = write_plan(
        &setup,
        "pass.json",
        &gate_plan(create("terraform_data.new")),
    );
    let not_a_folder = setup.dir.path().join("plain-file");
    std::fs::write(&not_a_folder, "x").unwrap();
    let under_a_file = format!("json={}/report.json", not_a_folder.display());
    let cases: [(&[&str], &[&str]); 3] = [
        (
            &["--report", "yaml=report.yaml"],
            &["--report", "yaml", "FORMAT=PATH"],
        ),
        (
            &["--report", &under_a_file],
            &["--report", "plain-file", "not a folder"],
        ),
        (
            &["--report", "json=a.json", "--report", "sarif=a.json"],
            &["more than once"],
        ),
    ];
    for (flags, fragments) in cases {
        let output = audit_with(&setup, &plan, true, flags);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {message}");
        for fragment in fragments {
            assert!(
                message.contains(fragment),
                "{flags:?}: {message:?} lacks {fragment:?}"
            );
        }
        assert!(!message.contains("attestation published"), "{message}");
        assert!(
            setup.server.keys().await.is_empty(),
            "{flags:?}: nothing is published"
        );
    }

    let broken_key = setup.dir.path().join("broken.pem");
    std::fs::write(&broken_key, "not a key").unwrap();
    let store = format!("s3://{}/guardrail", setup.server.bucket());
    let mut command = Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    command.args([
        "plan",
        plan.to_str().unwrap(),
        "--store",
        &store,
        "--attest",
    ]);
    command.args(["--signing-key", broken_key.to_str().unwrap()]);
    for (key, value) in setup.server.env() {
        command.env(key, value);
    }
    let output = command.current_dir(setup.dir.path()).output().unwrap();
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("broken.pem") && message.contains("signing key"),
        "{message}"
    );
    assert!(output.stdout.is_empty(), "no report after a bad key");
    assert!(setup.server.keys().await.is_empty(), "nothing is published");

    // The same run with a usable report is published.
    let output = audit_with(&setup, &plan, true, &["--report", "json=report.json"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(setup.dir.path().join("report.json").is_file());
    assert_eq!(setup.server.keys().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_freeze_is_found_for_an_environment_given_as_a_root_variable() {
    let setup = setup();
    let now = Utc::now();
    let record = LockRecord {
        environment: "production".into(),
        lock_id: "0b6f4c2a-1d3e-4f5a-8b7c-9d0e1f2a3b4c".into(),
        owner: "release-manager".into(),
        reason: "black friday".into(),
        acquired_at: now,
        expires_at: Some(now + chrono::Duration::hours(4)),
        generation: 1,
        released_at: None,
        ..Default::default()
    };
    setup
        .server
        .client()
        .await
        .put_object()
        .bucket(setup.server.bucket())
        .key(format!("guardrail/{}", lock_key("production")))
        .body(serde_json::to_vec(&record).unwrap().into())
        .send()
        .await
        .unwrap();
    // As infra/terraform/*/main.tf write it: `environment = var.environment`.
    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "timestamp": "2026-11-24T10:00:00Z",
        "planned_values": {"root_module": {}},
        "variables": {"environment": {"value": "production"}},
        "configuration": {
            "provider_config": {"guardrail": {
                "name": "guardrail",
                "expressions": {"environment": {"references": ["var.environment"]}}
            }},
            "root_module": {"variables": {"environment": {}}}
        },
        "resource_changes": [create("terraform_data.new")]
    });
    let plan = write_plan(&setup, "by-variable.json", &plan);
    let output = audit(&setup, &plan, false);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"plan/environment-frozen"), "{rules:?}");
    assert!(rules.contains(&"plan/gate-missing"), "{rules:?}");
    let frozen = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["rule_id"] == "plan/environment-frozen")
        .unwrap();
    let message = frozen["message"].as_str().unwrap();
    assert!(
        message.contains("environment production is frozen"),
        "{message}"
    );
    assert!(message.contains("black friday"), "{message}");
}
