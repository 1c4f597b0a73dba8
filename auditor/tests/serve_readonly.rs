//! The advisor needs read access only. moto enforces IAM after the setup
//! requests; the advisor runs as a user allowed `s3:Get*` and `s3:List*` on the
//! state bucket, `s3:ListBucket` on the guardrail store's bucket and
//! `s3:GetObject` under its `guardrail/` prefix, and nothing else. Every
//! endpoint is called (events included, which trigger cycles); the report
//! shows the store's freeze and trail; both buckets are then byte for byte what
//! they were, with moto's recording showing nothing but GET and HEAD requests.
//!
//! The state target is a whole bucket: moto 5.2 with IAM enforced refuses list
//! requests whose prefix holds a `/` (see `state_readonly.rs`). The store is
//! listed once per cycle by its prefix without the trailing `/`, and so is read
//! under IAM too.

#[path = "support/advisor.rs"]
mod advisor;
#[path = "support/cli.rs"]
mod cli;
#[path = "support/iam.rs"]
mod iam;

use std::collections::BTreeMap;

use advisor::Advisor;
use chrono::Utc;
use guardrail_core::audit_record::{self, AuditRecord};
use guardrail_core::lock::{LockRequest, Locks};
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::S3Server;
use iam::{client_with, user};
use serde_json::{json, Value};
use sha2::Digest;

const FLUX_TOKEN: &str = "flux-token-readonly";
const STORE_BUCKET: &str = "guardrail-store";

/// A freeze and a trail, written by the gate's own code on a scratch server
/// (no IAM), returned as the objects to copy.
async fn store_objects() -> Vec<(String, Vec<u8>)> {
    let scratch = S3Server::start();
    for (key, value) in scratch.env() {
        if key.starts_with("AWS_ACCESS") || key.starts_with("AWS_SECRET") {
            std::env::set_var(key, value);
        }
    }
    let store = Store::connect(&StoreConfig {
        bucket: scratch.bucket().to_string(),
        endpoint: Some(scratch.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .unwrap();
    let now = Utc::now();
    let acquired = Locks::new(&store)
        .acquire(
            &LockRequest {
                environment: "production".into(),
                owner: "alice".into(),
                reason: "database migration".into(),
                expires_at: Some(now + chrono::Duration::hours(2)),
                ..LockRequest::default()
            },
            now,
        )
        .await
        .unwrap();
    audit_record::write(
        &store,
        &AuditRecord::lock_operation(audit_record::LOCK_ACQUIRE, &acquired, now, vec![], None),
    )
    .await
    .unwrap();
    let mut objects = Vec::new();
    for key in scratch.keys().await {
        let body = scratch.get(&key).await.unwrap();
        objects.push((key, body));
    }
    assert!(objects.iter().all(|(key, _)| key.starts_with("guardrail/")));
    objects
}

async fn listing(client: &aws_sdk_s3::Client, bucket: &str) -> BTreeMap<String, String> {
    let page = client
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let mut objects = BTreeMap::new();
    for object in page.contents() {
        let key = object.key().unwrap().to_owned();
        let body = client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        let bytes = body.body.collect().await.unwrap().into_bytes();
        objects.insert(
            key,
            format!(
                "etag={} modified={:?} sha256={}",
                object.e_tag().unwrap_or_default(),
                object.last_modified(),
                hex::encode(sha2::Sha256::digest(&bytes))
            ),
        );
    }
    objects
}

#[tokio::test(flavor = "multi_thread")]
async fn the_advisor_reads_only_and_leaves_every_object_as_it_was() {
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "production-cluster.tfstate",
            std::fs::read(cli::data("states/cluster.tfstate")).unwrap(),
        ),
        (
            "production-tainted.tfstate",
            std::fs::read(cli::data("states/mixed/tainted.tfstate")).unwrap(),
        ),
        (
            "production-broken.tfstate",
            std::fs::read(cli::data("states/mixed/broken.tfstate")).unwrap(),
        ),
        (
            "production-cluster.tfstate.tflock",
            json!({"ID": "1", "Operation": "OperationTypeApply", "Who": "ci@runner-1",
                   "Created": (chrono::Utc::now() - chrono::Duration::hours(5)).to_rfc3339()})
            .to_string()
            .into_bytes(),
        ),
    ];
    let scratch = tempfile::tempdir().unwrap();
    let recording = scratch.path().join("requests.jsonl");
    let stored = store_objects().await;
    // Buckets, IAM calls and every put before IAM applies.
    let count = (2 + 3 + seeds.len() + stored.len()).to_string();
    let server = S3Server::start_with_env(&[
        ("INITIAL_NO_AUTH_ACTION_COUNT", count.as_str()),
        ("MOTO_ENABLE_RECORDING", "true"),
        ("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap()),
    ]);
    let bucket = server.bucket().to_owned();
    let endpoint = server.endpoint();
    server.create_bucket(STORE_BUCKET).unwrap();
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
         "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]},
        {"Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": format!("arn:aws:s3:::{STORE_BUCKET}")},
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": format!("arn:aws:s3:::{STORE_BUCKET}/guardrail/*")}]})
    .to_string();
    let (key_id, secret) = user(&endpoint, "advisor", &policy);
    let seed = server.client().await;
    for (key, body) in &seeds {
        seed.put_object()
            .bucket(&bucket)
            .key(*key)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
    }
    for (key, body) in &stored {
        seed.put_object()
            .bucket(STORE_BUCKET)
            .key(key)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
    }
    let reader = client_with(&server, &(key_id.clone(), secret.clone())).await;
    let store_denied = reader
        .put_object()
        .bucket(STORE_BUCKET)
        .key("guardrail/locks/production.json")
        .body(b"{}".to_vec().into())
        .send()
        .await;
    assert!(
        store_denied.is_err(),
        "the reader cannot write to the store"
    );
    let denied = reader
        .put_object()
        .bucket(&bucket)
        .key("x.tfstate")
        .body(b"{}".to_vec().into())
        .send()
        .await;
    assert!(denied.is_err(), "IAM is enforced: the reader cannot write");
    let before = listing(&reader, &bucket).await;
    let store_before = listing(&reader, STORE_BUCKET).await;
    assert_eq!(store_before.len(), stored.len());
    std::fs::write(&recording, "").unwrap();

    let mut env: Vec<(String, String)> = server
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
        .collect();
    env.push(("AWS_ACCESS_KEY_ID".into(), key_id));
    env.push(("AWS_SECRET_ACCESS_KEY".into(), secret.clone()));
    env.push(("TFAUDIT_SERVE_FLUX_TOKEN".into(), FLUX_TOKEN.into()));
    let target = format!("production=s3://{bucket}");
    let store = format!("s3://{STORE_BUCKET}/guardrail/");
    let mut advisor = Advisor::start(
        &[
            "--target",
            &target,
            "--guardrail-store",
            &store,
            "--interval",
            "1s",
        ],
        &env,
    );
    advisor.wait_ready();
    let report = advisor.get("/api/v1/report").json();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for rule in ["state/tainted", "state/unreadable", "state/stale-lock"] {
        assert!(rules.contains(&rule), "{rule} missing: {report}");
    }
    assert!(
        !rules.iter().any(|rule| rule.starts_with("trail/")),
        "the trail verifies: {report}"
    );
    let production = advisor.get("/api/v1/environments/production").json();
    assert_eq!(production["frozen"], true, "{production}");
    assert_eq!(production["freeze"]["by"], "alice");
    let trail = advisor.get("/api/v1/trail").json();
    assert_eq!(trail["count"], 1, "{trail}");
    for path in [
        "/",
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/report",
        "/api/v1/environments",
        "/api/v1/environments/production",
        "/api/v1/findings?severity=high",
        "/api/v1/trail?since=24h",
        "/api/v1/summary",
    ] {
        assert_eq!(advisor.get(path).status, 200, "{path}");
    }
    for question in [
        "why is production frozen?",
        "which locks are stale?",
        "is it safe to apply to production now?",
        "who applied to production last?",
        "what changed in production since yesterday?",
    ] {
        assert_eq!(
            advisor
                .post_json("/api/v1/ask", &json!({"question": question}))
                .status,
            200
        );
    }
    let event = json!({"involvedObject": {"name": "production"}}).to_string();
    for _ in 0..3 {
        assert_eq!(
            advisor
                .request(
                    "POST",
                    "/api/v1/events",
                    &[("X-Flux-Token", FLUX_TOKEN)],
                    event.as_bytes()
                )
                .status,
            202
        );
    }
    let cycles = advisor
        .metric("guardrail_advisor_cycles_total{outcome=\"complete\"}")
        .unwrap();
    advisor.wait_until("more cycles", |a| {
        a.metric("guardrail_advisor_cycles_total{outcome=\"complete\"}") >= Some(cycles + 2.0)
    });
    let (code, _) = advisor.terminate();
    assert_eq!(code, Some(0));
    assert!(!advisor.logs().contains(&secret));

    let text = std::fs::read_to_string(&recording).unwrap();
    let sent: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|e| {
            (
                e["method"].as_str().unwrap_or("").to_owned(),
                e["url"].as_str().unwrap_or("").to_owned(),
            )
        })
        .filter(|(_, url)| url.contains(&bucket) || url.contains(STORE_BUCKET))
        .collect();
    assert!(
        sent.iter().any(|(_, url)| url.contains(STORE_BUCKET)),
        "the store was read: {sent:?}"
    );
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|(m, _)| m == "GET" || m == "HEAD"),
        "only reads: {sent:?}"
    );
    assert_eq!(
        listing(&reader, &bucket).await,
        before,
        "every object byte for byte as it was"
    );
    assert_eq!(
        listing(&reader, STORE_BUCKET).await,
        store_before,
        "every store object byte for byte as it was"
    );
}
