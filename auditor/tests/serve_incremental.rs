//! The advisor's cycle is incremental, and an event re-audits one environment.
//! A counting proxy in front of moto sees every request the advisor sends:
//!
//! * a second cycle over 200 unchanged states, a guardrail store (freeze,
//!   trail, attestation) and an S3 journal issues listings and no object GET;
//!   one changed state and one deleted state then cost exactly one GET, and the
//!   report shows the changed state's finding and one state fewer;
//! * a Flux event naming `staging` refreshes staging's view within seconds
//!   without one request naming production (neither its state prefix nor its
//!   objects), and a flood of such events makes one or two cycles.

#[path = "support/advisor.rs"]
mod advisor;
#[path = "support/cli.rs"]
mod cli;

use std::time::Duration;

use advisor::Advisor;
use chrono::Utc;
use guardrail_core::audit_record::{self, AuditRecord};
use guardrail_core::lock::{LockRequest, Locks};
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::header_proxy::{HeaderProxy, SeenRequest};
use guardrail_testkit::S3Server;
use serde_json::json;

const FLUX_TOKEN: &str = "flux-token-incremental";
const STATES: usize = 200;

fn state(lineage: &str) -> Vec<u8> {
    json!({"version": 4, "terraform_version": "1.9.0", "serial": 3, "lineage": lineage,
           "outputs": {}, "resources": []})
    .to_string()
    .into_bytes()
}

async fn put(client: &aws_sdk_s3::Client, bucket: &str, key: &str, body: Vec<u8>) {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

async fn seed_store(server: &S3Server) {
    for (key, value) in server.env() {
        if key.starts_with("AWS_ACCESS") || key.starts_with("AWS_SECRET") {
            std::env::set_var(key, value);
        }
    }
    let store = Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        prefix: "guardrail/".into(),
        endpoint: Some(server.endpoint()),
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
    audit_record::write(
        &store,
        &AuditRecord {
            environment: "staging".into(),
            plan_id: "plan-1".into(),
            decision: "allowed".into(),
            who: "ci@runner-1".into(),
            at: now - chrono::Duration::hours(1),
            action: "gate".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

fn object_gets(requests: &[SeenRequest]) -> Vec<&SeenRequest> {
    requests
        .iter()
        .filter(|r| r.method == "GET" && !r.path.contains("list-type=2"))
        .collect()
}

fn listings(requests: &[SeenRequest]) -> Vec<&SeenRequest> {
    requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("list-type=2"))
        .collect()
}

fn completed(advisor: &Advisor) -> f64 {
    advisor
        .metric("guardrail_advisor_cycles_total{outcome=\"complete\"}")
        .unwrap_or(0.0)
}

/// Posts a Flux event about `name` and waits for the cycle it asks for.
fn event_and_cycle(advisor: &Advisor, name: &str) -> serde_json::Value {
    let before = completed(advisor);
    let event = json!({"involvedObject": {"kind": "Kustomization", "name": name,
                       "namespace": "flux-system"}, "reason": "ReconciliationSucceeded"});
    let answer = advisor.request(
        "POST",
        "/api/v1/events",
        &[("X-Flux-Token", FLUX_TOKEN)],
        event.to_string().as_bytes(),
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
    advisor.wait_until("a cycle after the event", |a| completed(a) > before);
    answer.json()
}

fn environment(advisor: &Advisor, name: &str) -> serde_json::Value {
    advisor.get(&format!("/api/v1/environments/{name}")).json()
}

#[tokio::test(flavor = "multi_thread")]
async fn unchanged_objects_are_not_fetched_again_and_an_event_re_audits_its_environment_only() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    let client = server.client().await;
    for n in 0..STATES {
        put(
            &client,
            &bucket,
            &format!("production/state-{n:03}.tfstate"),
            state(&format!("lineage-{n:03}")),
        )
        .await;
    }
    put(
        &client,
        &bucket,
        "staging/app.tfstate",
        state("lineage-staging"),
    )
    .await;
    seed_store(&server).await;
    put(
        &client,
        &bucket,
        "guardrail/attestations/production/a1.json",
        b"{}".to_vec(),
    )
    .await;
    let record = json!({"key": format!("s3://{bucket}/production/state-000.tfstate"),
        "lineage": "lineage-000", "serial": 3, "sha256": "00", "etag": null,
        "resources": 0, "seen_at": Utc::now().to_rfc3339()});
    put(
        &client,
        &bucket,
        "journal/run-1.jsonl",
        format!("{record}\n").into_bytes(),
    )
    .await;

    let proxy = HeaderProxy::start(&server);
    let mut env: Vec<(String, String)> = server
        .env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_ENDPOINT_URL_S3")
        .collect();
    for (key, value) in server.env() {
        if key == "AWS_ACCESS_KEY_ID" {
            env.push(("TFAUDIT_JOURNAL_ACCESS_KEY_ID".into(), value));
        } else if key == "AWS_SECRET_ACCESS_KEY" {
            env.push(("TFAUDIT_JOURNAL_SECRET_ACCESS_KEY".into(), value));
        }
    }
    env.push(("TFAUDIT_SERVE_FLUX_TOKEN".into(), FLUX_TOKEN.into()));
    let targets = format!("production=s3://{bucket}/production/,staging=s3://{bucket}/staging/");
    let store = format!("s3://{bucket}/guardrail/");
    let journal = format!("s3://{bucket}/journal/");
    let mut advisor = Advisor::start(
        &[
            "--target",
            &targets,
            "--endpoint",
            &proxy.endpoint(),
            "--guardrail-store",
            &store,
            "--journal",
            &journal,
            "--interval",
            "1h",
        ],
        &env,
    );
    advisor.wait_ready();
    let first = advisor.get("/api/v1/report").json();
    let production = environment(&advisor, "production");
    assert_eq!(production["states"], STATES, "{production}");
    assert_eq!(production["frozen"], true, "{production}");
    assert_eq!(production["attestations"]["issued"], 1, "{production}");
    assert_eq!(
        environment(&advisor, "staging")["last_apply"]["plan_id"],
        "plan-1"
    );
    let requests = proxy.requests();
    assert!(
        object_gets(&requests).len() >= STATES + 1 + 3,
        "the first cycle reads every object: {} GETs",
        object_gets(&requests).len()
    );

    // A second cycle over unchanged objects: listings, no object GET.
    let seen = proxy.requests().len();
    let answer = event_and_cycle(&advisor, "cluster-wide");
    assert!(answer["environment"].is_null(), "{answer}");
    let second: Vec<SeenRequest> = proxy.requests()[seen..].to_vec();
    assert!(
        object_gets(&second).is_empty(),
        "an unchanged cycle fetches nothing: {:?}",
        object_gets(&second)
    );
    for prefix in ["production", "staging", "guardrail", "journal"] {
        assert!(
            listings(&second)
                .iter()
                .any(|r| r.path.contains(&format!("prefix={prefix}"))),
            "{prefix} listed again: {second:?}"
        );
    }
    let report = advisor.get("/api/v1/report").json();
    assert_eq!(report["findings"], first["findings"]);
    let production = environment(&advisor, "production");
    assert_eq!(production["states"], STATES);
    assert_eq!(production["frozen"], true);

    // One state changes (now tainted), one is deleted: exactly one GET.
    put(
        &client,
        &bucket,
        "production/state-007.tfstate",
        std::fs::read(cli::data("states/mixed/tainted.tfstate")).unwrap(),
    )
    .await;
    client
        .delete_object()
        .bucket(&bucket)
        .key("production/state-010.tfstate")
        .send()
        .await
        .unwrap();
    let seen = proxy.requests().len();
    event_and_cycle(&advisor, "cluster-wide");
    let third: Vec<SeenRequest> = proxy.requests()[seen..].to_vec();
    let gets = object_gets(&third);
    assert_eq!(gets.len(), 1, "one changed object, one GET: {gets:?}");
    assert!(
        gets[0].path.contains("production/state-007.tfstate"),
        "{gets:?}"
    );
    let tainted = advisor.get("/api/v1/findings?rule=state/tainted").json();
    assert_eq!(tainted["count"], 1, "{tainted}");
    assert!(
        tainted["findings"][0]
            .to_string()
            .contains("state-007.tfstate"),
        "{tainted}"
    );
    assert_eq!(environment(&advisor, "production")["states"], STATES - 1);

    // An event naming staging: staging alone is re-audited, promptly.
    put(
        &client,
        &bucket,
        "staging/extra.tfstate",
        std::fs::read(cli::data("states/mixed/tainted.tfstate")).unwrap(),
    )
    .await;
    let production_before = environment(&advisor, "production");
    let staging_before = environment(&advisor, "staging");
    let seen = proxy.requests().len();
    let asked = std::time::Instant::now();
    let answer = event_and_cycle(&advisor, "apps-staging");
    assert_eq!(answer["environment"], "staging");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
    let staging = environment(&advisor, "staging");
    assert_eq!(staging["states"], 2, "{staging}");
    assert_ne!(staging["audited_at"], staging_before["audited_at"]);
    let production = environment(&advisor, "production");
    assert_eq!(production["audited_at"], production_before["audited_at"]);
    assert_eq!(production["states"], STATES - 1);
    assert_eq!(production["frozen"], true);
    let fourth: Vec<SeenRequest> = proxy.requests()[seen..].to_vec();
    assert!(
        !fourth.iter().any(|r| r.path.contains("production")),
        "nothing of production read: {:?}",
        fourth
            .iter()
            .filter(|r| r.path.contains("production"))
            .collect::<Vec<_>>()
    );
    let gets = object_gets(&fourth);
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert!(gets[0].path.contains("staging/extra.tfstate"));
    let tainted = advisor.get("/api/v1/findings?rule=state/tainted").json();
    assert_eq!(tainted["count"], 2, "{tainted}");

    // A flood of staging events: one cycle (two when one was running).
    std::thread::sleep(Duration::from_secs(1));
    let before = completed(&advisor);
    let seen = proxy.requests().len();
    let event = json!({"involvedObject": {"name": "apps-staging"}}).to_string();
    for _ in 0..30 {
        let answer = advisor.request(
            "POST",
            "/api/v1/events",
            &[("X-Flux-Token", FLUX_TOKEN)],
            event.as_bytes(),
        );
        assert_eq!(answer.status, 202);
    }
    advisor.wait_until("re-audited", |a| completed(a) > before);
    std::thread::sleep(Duration::from_secs(2));
    let made = completed(&advisor) - before;
    assert!((1.0..=2.0).contains(&made), "30 events made {made} cycles");
    let flood: Vec<SeenRequest> = proxy.requests()[seen..].to_vec();
    assert!(!flood.iter().any(|r| r.path.contains("production")));

    let (code, _) = advisor.terminate();
    assert_eq!(code, Some(0), "{}", advisor.logs());
}
