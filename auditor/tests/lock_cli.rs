//! `tfaudit lock status|release|takeover` against a real S3 server (moto): what an
//! operator sees, releases and takeovers that keep the fencing generation and
//! leave audit records, and refusals (bad input, a lock changed meanwhile, an
//! endpoint that drops If-Match) with their exit codes.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chrono::{Duration as Span, Utc};
use guardrail_core::lock::{LockRequest, Locks};
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::header_proxy::HeaderProxy;
use guardrail_testkit::S3Server;
use serde_json::Value;

const LOCK_KEY: &str = "guardrail/locks/staging.json";

fn use_server_credentials(server: &S3Server) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let env = server.env();
    ONCE.call_once(|| {
        for (key, value) in env {
            if key.starts_with("AWS_ACCESS") || key.starts_with("AWS_SECRET") {
                std::env::set_var(key, value);
            }
        }
    });
}

async fn store(server: &S3Server) -> Store {
    use_server_credentials(server);
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(server.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .unwrap()
}

/// Alice freezes staging for two hours.
async fn seed(server: &S3Server) {
    let now = Utc::now();
    Locks::new(&store(server).await)
        .acquire(
            &LockRequest {
                environment: "staging".into(),
                owner: "alice".into(),
                reason: "database migration".into(),
                expires_at: Some(now + Span::hours(2)),
                ..LockRequest::default()
            },
            now,
        )
        .await
        .unwrap();
}

fn tfaudit_command(server: &S3Server, endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tfaudit"));
    let store = format!("s3://{}/guardrail/", server.bucket());
    command
        .args(["lock"])
        .args(args)
        .args([
            "--environment",
            "staging",
            "--store",
            &store,
            "--endpoint",
            endpoint,
        ])
        .envs(server.env())
        .env("GUARDRAIL_ACTOR", "oncall-carol");
    command
}

fn tfaudit(server: &S3Server, args: &[&str]) -> Output {
    tfaudit_command(server, &server.endpoint(), args)
        .output()
        .expect("run tfaudit")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(output)))
}

async fn record(server: &S3Server) -> Value {
    serde_json::from_slice(&server.get(LOCK_KEY).await.expect("the lock record exists")).unwrap()
}

async fn audit(server: &S3Server) -> Vec<Value> {
    let mut records = Vec::new();
    for key in server.keys().await {
        if key.starts_with("guardrail/audit/staging/") {
            records.push(serde_json::from_slice(&server.get(&key).await.unwrap()).unwrap());
        }
    }
    records
}

#[tokio::test(flavor = "multi_thread")]
async fn status_release_and_takeover_keep_the_generation_and_are_audited() {
    let server = S3Server::start();
    let none = tfaudit(&server, &["status"]);
    assert_eq!(none.status.code(), Some(0), "{}", text(&none));
    assert!(
        text(&none).contains("lock of staging: none"),
        "{}",
        text(&none)
    );

    seed(&server).await;
    let status = tfaudit(&server, &["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    for fragment in [
        "lock of staging: live",
        "holder:     alice",
        "reason:     database migration",
        "acquired:",
        "expires:",
        "generation: 1",
    ] {
        assert!(
            text(&status).contains(fragment),
            "{fragment:?} in {}",
            text(&status)
        );
    }
    let shown = json(&tfaudit(&server, &["status", "--format", "json"]));
    assert_eq!(shown["lock"]["status"], "live", "{shown}");
    assert_eq!(shown["lock"]["holder"], "alice", "{shown}");

    // Release: written back released by the operator, generation kept, audited.
    let released = tfaudit(
        &server,
        &[
            "release",
            "--reason",
            "alice's job was cancelled",
            "--ticket",
            "INC-9",
            "--format",
            "json",
        ],
    );
    assert_eq!(released.status.code(), Some(0), "{}", text(&released));
    let outcome = json(&released);
    assert_eq!(outcome["lock"]["status"], "released", "{outcome}");
    let stored = record(&server).await;
    assert_eq!(stored["generation"], 1, "{stored}");
    assert_eq!(stored["released_by"], "oncall-carol", "{stored}");
    assert_eq!(
        stored["release_reason"],
        "alice's job was cancelled (ticket INC-9)"
    );
    let trail = audit(&server).await;
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0]["action"], "lock-release");
    assert_eq!(trail[0]["who"], "oncall-carol");
    assert_eq!(
        trail[0]["reasons"][0],
        "alice's job was cancelled (ticket INC-9)"
    );
    assert_eq!(trail[0]["lock_generation"], 1);
    assert_eq!(trail[0]["lock"]["released_by"], "oncall-carol");

    // Releasing again writes nothing.
    let again = tfaudit(&server, &["release", "--reason", "twice"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(
        text(&again).contains("already released"),
        "{}",
        text(&again)
    );
    assert_eq!(audit(&server).await.len(), 1);

    // A takeover of a released lock must say how long it holds it.
    let no_ttl = tfaudit(&server, &["takeover", "--reason", "hold it"]);
    assert_eq!(no_ttl.status.code(), Some(2), "{}", text(&no_ttl));
    assert!(text(&no_ttl).contains("--ttl"), "{}", text(&no_ttl));
    let taken = tfaudit(
        &server,
        &[
            "takeover",
            "--reason",
            "INC-9: keep the freeze",
            "--ttl",
            "2h",
        ],
    );
    assert_eq!(taken.status.code(), Some(0), "{}", text(&taken));
    assert!(
        text(&taken).contains("lock of staging: live"),
        "{}",
        text(&taken)
    );
    let stored = record(&server).await;
    assert_eq!(stored["owner"], "oncall-carol", "{stored}");
    assert_eq!(stored["generation"], 2, "the generation grows: {stored}");
    assert!(stored["released_at"].is_null(), "{stored}");
    let trail = audit(&server).await;
    let actions: Vec<&str> = trail
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"lock-takeover"), "{actions:?}");
    assert_eq!(trail.len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_exits_2_naming_the_flag() {
    let server = S3Server::start();
    seed(&server).await;
    for args in [
        vec!["release"],
        vec!["release", "--reason", "  "],
        vec!["takeover", "--ttl", "1h"],
    ] {
        let output = tfaudit(&server, &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
        assert!(
            text(&output).contains("--reason"),
            "{args:?}: {}",
            text(&output)
        );
    }
    let bad_ttl = tfaudit(&server, &["takeover", "--reason", "r", "--ttl", "soon"]);
    assert_eq!(bad_ttl.status.code(), Some(2), "{}", text(&bad_ttl));
    assert!(
        text(&bad_ttl).contains("--ttl: `soon` is not a duration"),
        "{}",
        text(&bad_ttl)
    );
    let bad_store = Command::new(env!("CARGO_BIN_EXE_tfaudit"))
        .args([
            "lock",
            "status",
            "--environment",
            "staging",
            "--store",
            "https://x",
        ])
        .output()
        .unwrap();
    assert_eq!(bad_store.status.code(), Some(2), "{}", text(&bad_store));
    assert!(text(&bad_store).contains("--store"), "{}", text(&bad_store));
    let bad_environment = Command::new(env!("CARGO_BIN_EXE_tfaudit"))
        .args([
            "lock",
            "status",
            "--environment",
            "../prod",
            "--store",
            "s3://b",
        ])
        .output()
        .unwrap();
    assert_eq!(
        bad_environment.status.code(),
        Some(2),
        "{}",
        text(&bad_environment)
    );
    assert!(text(&bad_environment).contains("--environment"));
    // Nothing was written by any of them.
    assert_eq!(record(&server).await["released_at"], Value::Null);
    assert!(audit(&server).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_changed_meanwhile_or_an_endpoint_without_if_match_is_refused_with_exit_1() {
    let server = S3Server::start();
    seed(&server).await;
    let before = record(&server).await;

    // An endpoint dropping If-Match would make the release a blind overwrite.
    let broken = HeaderProxy::start(&server);
    broken.strip_header("If-Match");
    let refused = tfaudit_command(&server, &broken.endpoint(), &["release", "--reason", "r"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("ignores conditional writes (If-Match on PutObject)"),
        "{}",
        text(&refused)
    );
    assert_eq!(record(&server).await, before, "the lock is untouched");

    // The lock changes while the release's write is held back: refused.
    let slow = HeaderProxy::start(&server);
    slow.delay(
        "PUT",
        "/guardrail/locks/staging.json",
        Duration::from_secs(2),
    );
    let release = tfaudit_command(&server, &slow.endpoint(), &["takeover", "--reason", "r"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(slow.wait_for(
        "PUT",
        "/guardrail/locks/staging.json",
        Duration::from_secs(60)
    ));
    Locks::new(&store(&server).await)
        .force_release(
            &guardrail_core::lock::OperatorRequest {
                environment: "staging".into(),
                actor: "alice".into(),
                reason: "done early".into(),
                expected_generation: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let raced = release.wait_with_output().unwrap();
    assert_eq!(raced.status.code(), Some(1), "{}", text(&raced));
    assert!(
        text(&raced).contains("changed while it was being updated"),
        "{}",
        text(&raced)
    );
    let stored = record(&server).await;
    assert_eq!(
        stored["released_by"], "alice",
        "alice's release stands: {stored}"
    );
    assert_eq!(stored["generation"], 1);
    assert!(
        audit(&server).await.is_empty(),
        "a refused operation leaves no audit record"
    );
}
