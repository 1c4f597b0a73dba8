//! `tfaudit plan --attest` against a real S3 server (moto): a passing plan
//! publishes a DSSE envelope whose ed25519 signature verifies with the public
//! key `tfaudit keygen` printed (checked here independently of tfaudit's own
//! code); a failing or frozen plan publishes nothing and says why.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use chrono::Utc;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use guardrail_testkit::S3Server;
use sha2::{Digest, Sha256};

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
async fn a_passing_plan_publishes_a_signed_attestation_for_the_gate() {
    let setup = setup();
    let plan = write_plan(
        &setup,
        "pass.json",
        &gate_plan(create("terraform_data.new")),
    );
    let output = audit(&setup, &plan, true);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let key = format!("guardrail/attestations/{ENVIRONMENT}/{PLAN_ID}.json");
    assert!(stderr.contains(&key), "{stderr}");
    assert_eq!(setup.server.keys().await, vec![key.clone()]);

    let body = setup
        .server
        .get(&key)
        .await
        .expect("the attestation object exists");
    let envelope: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let engine = base64::engine::general_purpose::STANDARD;
    let payload_type = envelope["payloadType"].as_str().unwrap();
    assert_eq!(payload_type, "application/vnd.guardrail.attestation+json");
    let payload = engine
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();

    let public: [u8; 32] = engine
        .decode(&setup.public_key)
        .unwrap()
        .try_into()
        .unwrap();
    let trusted = VerifyingKey::from_bytes(&public).unwrap();
    let signatures = envelope["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1);
    let key_digest = hex::encode(Sha256::digest(public));
    assert_eq!(
        signatures[0]["keyid"],
        format!("ed25519:{}", &key_digest[..16])
    );
    let signature_bytes: [u8; 64] = engine
        .decode(signatures[0]["sig"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let signature = Signature::from_bytes(&signature_bytes);
    let mut signed = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    signed.extend_from_slice(&payload);
    trusted
        .verify(&signed, &signature)
        .expect("the signature covers the pre-authentication encoding");
    let mut tampered = signed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(trusted.verify(&tampered, &signature).is_err());

    let attestation: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(attestation["version"], 1);
    assert_eq!(attestation["verdict"], "pass");
    assert_eq!(attestation["environment"], ENVIRONMENT);
    assert_eq!(attestation["plan_id"], PLAN_ID);
    let digest = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(std::fs::read(&plan).unwrap()))
    );
    assert_eq!(attestation["plan_digest"], digest);
    assert_eq!(attestation["summary"]["changes"]["create"], 1);
    assert_eq!(attestation["summary"]["changes"]["update"], 1);
    assert_eq!(attestation["auditor_version"], env!("CARGO_PKG_VERSION"));
    let time = |name: &str| {
        chrono::DateTime::parse_from_rfc3339(attestation[name].as_str().unwrap()).unwrap()
    };
    assert_eq!((time("expires_at") - time("issued_at")).num_minutes(), 120);
    assert!(time("issued_at") <= Utc::now());
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
    let record = serde_json::json!({
        "environment": ENVIRONMENT,
        "lock_id": "5f0c6a52-3f4e-4a8b-9a0e-2d1c3b4a5e6f",
        "owner": "release-manager",
        "reason": "quarter-end freeze",
        "acquired_at": now,
        "expires_at": now + chrono::Duration::hours(4),
        "generation": 1,
        "released_at": null,
    });
    setup
        .server
        .client()
        .await
        .put_object()
        .bucket(setup.server.bucket())
        .key(format!("guardrail/locks/{ENVIRONMENT}.json"))
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
