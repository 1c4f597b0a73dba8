//! `tfaudit gate` and `tfaudit verify` against a real S3 server (moto): the
//! change gate's decision for changes that are not Terraform, and the apply
//! path's check that the plan file is the one that was attested.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, Utc};
use guardrail_core::attestation::{self, Attestation, Verdict};
use guardrail_core::audit_record::AuditRecord;
use guardrail_core::lock::{LockRequest, Locks};
use guardrail_core::store::{ObjectStore, Store, StoreConfig};
use guardrail_testkit::S3Server;

fn tfaudit(server: &S3Server, args: &[&str], dir: &Path) -> Output {
    let mut command = Command::new(guardrail_testkit::tools::tfaudit_bin());
    command
        .args(args)
        .current_dir(dir)
        .env_remove("GUARDRAIL_NOW")
        .env("GUARDRAIL_ACTOR", "release-bot");
    for (name, value) in server.env() {
        command.env(name, value);
    }
    command.output().expect("run tfaudit")
}

fn said(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn store(server: &S3Server) -> Store {
    for (key, value) in server.env() {
        std::env::set_var(key, value);
    }
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(server.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .expect("connect")
}

async fn trail(store: &Store, environment: &str) -> Vec<AuditRecord> {
    guardrail_core::audit_record::list(store, environment)
        .await
        .expect("list the audit trail")
}

#[tokio::test(flavor = "multi_thread")]
async fn gate_answers_for_freezes_windows_and_break_glass() {
    let server = S3Server::start();
    let store = store(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("s3://{}/guardrail/", server.bucket());
    let gate = |extra: &[&str]| {
        let mut args = vec!["gate", "--environment", "production", "--store", &url];
        args.extend_from_slice(extra);
        tfaudit(&server, &args, dir.path())
    };

    // Open: nothing frozen, no window.
    let open = gate(&[]);
    assert_eq!(open.status.code(), Some(0), "{}", said(&open));
    assert!(
        said(&open).contains("production may change now"),
        "{}",
        said(&open)
    );

    // Frozen: exit 1 naming the holder, the reason and the expiry.
    let now = Utc::now();
    let lock = Locks::new(&store)
        .acquire(
            &LockRequest {
                environment: "production".into(),
                owner: "alice".into(),
                reason: "INC-4711 database failover".into(),
                expires_at: Some(now + Duration::hours(2)),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    let frozen = gate(&["--change", "promote podinfo 6.7.1"]);
    assert_eq!(frozen.status.code(), Some(1), "{}", said(&frozen));
    let text = said(&frozen);
    assert!(
        text.contains("may not change now")
            && text.contains("held by alice (INC-4711 database failover)")
            && text.contains(&lock.expires_at.unwrap().to_rfc3339()),
        "{text}"
    );
    // --check answers the same and writes nothing: no record, no object.
    let before = store.list("").await.unwrap();
    let checked = gate(&["--check", "--format", "json"]);
    assert_eq!(checked.status.code(), Some(1), "{}", said(&checked));
    let answer: serde_json::Value =
        serde_json::from_slice(&checked.stdout).expect("json on stdout");
    assert_eq!(answer["decision"], "denied");
    assert_eq!(answer["audit_record"], serde_json::Value::Null);
    assert_eq!(
        store.list("").await.unwrap(),
        before,
        "--check wrote to the store"
    );
    let glass_checked = gate(&["--check", "--break-glass-reason", "x"]);
    assert_eq!(
        glass_checked.status.code(),
        Some(2),
        "{}",
        said(&glass_checked)
    );

    let json = gate(&["--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let answer: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json on stdout");
    assert_eq!(answer["decision"], "denied");
    assert_eq!(answer["frozen"]["owner"], "alice");
    assert_eq!(answer["frozen"]["generation"], 1);

    // Break glass: exit 0, a warning, and the record the provider's gate writes.
    let glass = gate(&[
        "--break-glass-reason",
        "hotfix for INC-4711",
        "--ticket",
        "INC-4711",
    ]);
    assert_eq!(glass.status.code(), Some(0), "{}", said(&glass));
    assert!(
        String::from_utf8_lossy(&glass.stderr).contains("break glass: passing a closed gate"),
        "{}",
        said(&glass)
    );
    let records = trail(&store, "production").await;
    let last = records.last().expect("an audit record");
    assert_eq!(last.decision, "allowed-break-glass");
    assert_eq!(last.action, "gate");
    assert_eq!(last.who, "release-bot");
    assert_eq!(last.lock_generation, Some(1));
    let glass_record = last
        .break_glass
        .as_ref()
        .expect("the break glass is recorded");
    assert_eq!(
        (glass_record.reason.as_str(), glass_record.ticket.as_str()),
        ("hotfix for INC-4711", "INC-4711")
    );
    assert!(
        last.reasons
            .iter()
            .any(|r| r.contains("production is frozen")),
        "{:?}",
        last.reasons
    );
    let denied = records.iter().filter(|r| r.decision == "denied").count();
    assert_eq!(denied, 2, "both refusals are in the trail: {records:?}");
    assert!(records.iter().any(|r| r.plan_id == "promote podinfo 6.7.1"));

    // A closed window names its next opening (a blackout from an hour ago to in an hour).
    let from = (now - Duration::hours(1)).to_rfc3339();
    let to = (now + Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let window = dir.path().join("window.hcl");
    std::fs::write(
        &window,
        format!("timezone = \"UTC\"\ndeny {{\n  from   = \"{from}\"\n  to     = \"{to}\"\n  reason = \"release freeze\"\n}}\n"),
    )
    .unwrap();
    let staging = tfaudit(
        &server,
        &[
            "gate",
            "--environment",
            "staging",
            "--store",
            &url,
            "--window",
            window.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(staging.status.code(), Some(1), "{}", said(&staging));
    let text = said(&staging);
    assert!(
        text.contains("the change window is closed") && text.contains("release freeze"),
        "{text}"
    );
    let opening = (now + Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    assert!(text.contains(&format!("next opening {opening}")), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn gate_refuses_bad_input_with_exit_2() {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("s3://{}/guardrail/", server.bucket());
    let window = dir.path().join("window.json");
    std::fs::write(&window, r#"{"allow":[{"days":["mon"],"start":"9am"}]}"#).unwrap();
    for (args, expected) in [
        (
            vec!["gate", "--environment", "Prod!", "--store", url.as_str()],
            "--environment",
        ),
        (
            vec![
                "gate",
                "--environment",
                "production",
                "--store",
                "https://x",
            ],
            "s3://",
        ),
        (
            vec![
                "gate",
                "--environment",
                "production",
                "--store",
                url.as_str(),
                "--window",
                window.to_str().unwrap(),
            ],
            "window.json",
        ),
        (
            vec![
                "gate",
                "--environment",
                "production",
                "--store",
                url.as_str(),
                "--break-glass-reason",
                " ",
            ],
            "break-glass-reason",
        ),
    ] {
        let output = tfaudit(&server, &args, dir.path());
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", said(&output));
        assert!(
            said(&output).contains(expected),
            "{args:?}: {}",
            said(&output)
        );
    }
    let keys = server.keys().await;
    assert!(
        !keys.iter().any(|k| k.contains("/audit/")),
        "bad input writes nothing: {keys:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gate_fails_closed_when_the_store_cannot_be_reached() {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let url = format!("s3://{}/guardrail/", server.bucket());
    let output = tfaudit(
        &server,
        &[
            "gate",
            "--environment",
            "production",
            "--store",
            &url,
            "--endpoint",
            &dead,
        ],
        dir.path(),
    );
    assert_ne!(output.status.code(), Some(0), "{}", said(&output));
    let text = said(&output);
    assert!(
        text.contains("cannot reach the S3 endpoint") && text.contains("connection refused"),
        "{text}"
    );
    assert!(
        !text.contains("DispatchFailure"),
        "no debug structures: {text}"
    );
}

fn plan_with_gate(plan_id: &str, replicas: u32) -> serde_json::Value {
    serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "planned_values": {"root_module": {}},
        "resource_changes": [
            {
                "address": "guardrail_change_gate.production", "mode": "managed",
                "type": "guardrail_change_gate", "name": "production",
                "provider_name": "registry.terraform.io/sre-control-plane/guardrail",
                "change": {"actions": ["update"],
                    "before": {"environment": "production", "plan_id": "old"},
                    "after": {"environment": "production", "plan_id": plan_id}}
            },
            {
                "address": "terraform_data.ingress", "mode": "managed", "type": "terraform_data",
                "name": "ingress", "provider_name": "terraform.io/builtin/terraform",
                "change": {"actions": ["update"], "before": {"input": {"replicas": 2}},
                    "after": {"input": {"replicas": replicas}}}
            }
        ]
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_accepts_only_the_plan_bytes_that_were_attested() {
    let server = S3Server::start();
    let store = store(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("s3://{}/guardrail/", server.bucket());
    let key = attestation::generate_signing_key();
    let public = attestation::encode_public_key(&key.verifying_key());
    let plan_id = "11111111-2222-4333-8444-555555555555";
    let audited = serde_json::to_vec(&plan_with_gate(plan_id, 3)).unwrap();
    let swapped = serde_json::to_vec(&plan_with_gate(plan_id, 99)).unwrap();
    std::fs::write(dir.path().join("audited.json"), &audited).unwrap();
    std::fs::write(dir.path().join("swapped.json"), &swapped).unwrap();
    let now = Utc::now();
    let statement = Attestation {
        version: 1,
        plan_id: plan_id.into(),
        environment: "production".into(),
        verdict: Verdict::Pass,
        summary: serde_json::json!({}),
        plan_digest: attestation::plan_digest(&audited),
        auditor_version: "test".into(),
        issued_at: now,
        expires_at: now + Duration::hours(1),
    };
    let verify = |file: &str, public: &str| {
        tfaudit(
            &server,
            &["verify", file, "--store", &url, "--public-key", public],
            dir.path(),
        )
    };
    // Nothing attested yet.
    let missing = verify("audited.json", &public);
    assert_eq!(missing.status.code(), Some(1), "{}", said(&missing));
    assert!(
        said(&missing).contains("no attestation at"),
        "{}",
        said(&missing)
    );

    let envelope = attestation::sign(&statement, &key);
    attestation::publish(&store, &envelope, &statement)
        .await
        .unwrap();
    let ok = verify("audited.json", &public);
    assert_eq!(ok.status.code(), Some(0), "{}", said(&ok));
    assert!(said(&ok).contains("verified"), "{}", said(&ok));

    // The same plan_id, other plan bytes: the swapped file is refused.
    let refused = verify("swapped.json", &public);
    assert_eq!(refused.status.code(), Some(1), "{}", said(&refused));
    assert!(
        said(&refused).contains("changed or swapped after the audit"),
        "{}",
        said(&refused)
    );

    // A key the pipeline does not trust.
    let other =
        attestation::encode_public_key(&attestation::generate_signing_key().verifying_key());
    let foreign = verify("audited.json", &other);
    assert_eq!(foreign.status.code(), Some(1), "{}", said(&foreign));

    // Spent: an apply used it already.
    attestation::spend(
        &store,
        &attestation::SpentRecord {
            environment: "production".into(),
            plan_id: plan_id.into(),
            who: "ci".into(),
            at: now,
        },
    )
    .await
    .unwrap();
    let spent = verify("audited.json", &public);
    assert_eq!(spent.status.code(), Some(1), "{}", said(&spent));
    assert!(said(&spent).contains("already used"), "{}", said(&spent));

    // No key at all is a usage error.
    let output = tfaudit(
        &server,
        &["verify", "audited.json", "--store", &url],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(2), "{}", said(&output));
}

#[tokio::test(flavor = "multi_thread")]
async fn attest_refuses_a_simulated_clock_whatever_fail_on_says() {
    let server = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("s3://{}/guardrail/", server.bucket());
    let plan =
        serde_json::to_vec(&plan_with_gate("22222222-2222-4333-8444-555555555555", 3)).unwrap();
    std::fs::write(dir.path().join("plan.json"), &plan).unwrap();
    let keygen = tfaudit(&server, &["keygen", "--out", "ci.pem"], dir.path());
    assert_eq!(keygen.status.code(), Some(0), "{}", said(&keygen));
    let attest = |extra: &[(&str, &str)], args: &[&str]| {
        let mut command = Command::new(guardrail_testkit::tools::tfaudit_bin());
        command
            .args([
                "plan",
                "plan.json",
                "--attest",
                "--signing-key",
                "ci.pem",
                "--store",
                &url,
            ])
            .args(args)
            .current_dir(dir.path())
            .env_remove("GUARDRAIL_NOW");
        for (name, value) in server.env() {
            command.env(name, value);
        }
        for (name, value) in extra {
            command.env(name, value);
        }
        command.output().unwrap()
    };
    // A lab that lowers the rule and a run that fails on nothing still sign nothing.
    std::fs::write(
        dir.path().join(".tfaudit.toml"),
        "[severity]\n\"plan/clock-override\" = \"info\"\n",
    )
    .unwrap();
    for (env, args) in [
        (
            vec![("GUARDRAIL_NOW", "2099-01-01T00:00:00Z")],
            vec!["--fail-on", "critical"],
        ),
        (
            vec![],
            vec!["--fail-on", "never", "--now", "2099-01-01T00:00:00Z"],
        ),
    ] {
        let output = attest(&env, &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", said(&output));
        assert!(
            said(&output).contains("attestation refused")
                && said(&output).contains("simulated clock"),
            "{}",
            said(&output)
        );
        let keys = server.keys().await;
        assert!(
            !keys.iter().any(|k| k.contains("attestations/")),
            "{keys:?}"
        );
    }
    // On the system clock the same plan is attested.
    let output = attest(&[], &["--fail-on", "high"]);
    assert_eq!(output.status.code(), Some(0), "{}", said(&output));
    assert!(server
        .keys()
        .await
        .iter()
        .any(|k| k.contains("attestations/production/")));
}
