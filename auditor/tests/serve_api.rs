//! `tfaudit serve` over real HTTP against a real local S3 server (moto) holding
//! a state Terraform wrote, fixture states, a stale Terraform lock and a
//! guardrail store with a freeze and a trail: every endpoint, the incremental
//! cycle (an event re-audits the environment it names), `ask`, the page in headless Chromium, and SIGTERM.

#[path = "support/advisor.rs"]
mod advisor;
#[path = "support/cli.rs"]
mod cli;

use std::process::Command;
use std::time::Duration;

use advisor::Advisor;
use chrono::Utc;
use guardrail_core::audit_record::{self, AuditRecord, BreakGlass};
use guardrail_core::lock::{LockRequest, Locks};
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::{r2_backend_block, S3Server, TerraformDir};
use serde_json::json;

const FLUX_TOKEN: &str = "flux-shared-token-0123";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(cli::data("states").join(name)).unwrap()
}

async fn put(server: &S3Server, key: &str, body: Vec<u8>) {
    server
        .client()
        .await
        .put_object()
        .bucket(server.bucket())
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap();
}

/// production: a state Terraform applies through the R2-shaped backend.
fn terraform_state(server: &S3Server) {
    let dir = TerraformDir::new().with_s3(server);
    dir.write(
        "main.tf",
        &format!(
            "{}\nresource \"terraform_data\" \"ingress\" {{\n  input = \"v1\"\n}}\nresource \"terraform_data\" \"dns\" {{\n  input = \"v1\"\n}}\n",
            r2_backend_block(server, "production/app.tfstate")
        ),
    );
    dir.init().assert_success();
    dir.run(&["apply", "-auto-approve"]).assert_success();
}

async fn store(server: &S3Server) -> Store {
    for (key, value) in server.env() {
        if key.starts_with("AWS_ACCESS") || key.starts_with("AWS_SECRET") {
            std::env::set_var(key, value);
        }
    }
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(server.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .unwrap()
}

/// Alice freezes production; staging had an apply, production a break glass.
async fn seed_store(server: &S3Server) {
    let store = store(server).await;
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
    let gate = |environment: &str, plan_id: &str, decision: &str, who: &str| AuditRecord {
        environment: environment.into(),
        plan_id: plan_id.into(),
        decision: decision.into(),
        who: who.into(),
        at: now - chrono::Duration::hours(1),
        action: "gate".into(),
        ..Default::default()
    };
    audit_record::write(
        &store,
        &gate("staging", "plan-42", "allowed", "ci@runner-7"),
    )
    .await
    .unwrap();
    audit_record::write(&store, &gate("staging", "plan-43", "denied", "bob"))
        .await
        .unwrap();
    audit_record::write(
        &store,
        &AuditRecord {
            break_glass: Some(BreakGlass {
                reason: "certificate expired".into(),
                ticket: "INC-7".into(),
            }),
            ..gate("production", "plan-9", "allowed-break-glass", "carol")
        },
    )
    .await
    .unwrap();
}

/// Every object of the bucket with the sha256 of its bytes.
async fn objects(server: &S3Server) -> Vec<(String, String)> {
    use sha2::Digest;
    let mut all = Vec::new();
    for key in server.keys().await {
        let body = server.get(&key).await.unwrap_or_default();
        all.push((key, hex::encode(sha2::Sha256::digest(&body))));
    }
    all
}

fn headless_chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_advisor_serves_every_endpoint_from_a_real_s3_server() {
    // moto records every request it serves: what the advisor sent is read back below.
    let scratch = tempfile::tempdir().unwrap();
    let recording = scratch.path().join("requests.jsonl");
    let server = S3Server::start_with_env(&[
        ("MOTO_ENABLE_RECORDING", "true"),
        ("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap()),
    ]);
    let bucket = server.bucket().to_owned();
    terraform_state(&server);
    put(
        &server,
        "production/broken.tfstate",
        fixture("mixed/broken.tfstate"),
    )
    .await;
    put(
        &server,
        "staging/app.tfstate",
        fixture("mixed/tainted.tfstate"),
    )
    .await;
    let created = (Utc::now() - chrono::Duration::hours(6)).to_rfc3339();
    let lock = json!({"ID": "11111111-2222-4333-8444-555555555555",
        "Operation": "OperationTypeApply", "Info": "", "Who": "ci@runner-3",
        "Version": "1.11.4", "Created": created, "Path": "staging/app.tfstate"});
    put(
        &server,
        "staging/app.tfstate.tflock",
        lock.to_string().into_bytes(),
    )
    .await;
    seed_store(&server).await;

    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("advisor.toml");
    let window = work.path().join("production-window.hcl");
    std::fs::write(
        &window,
        "timezone = \"UTC\"\ndeny {\n  from   = \"2020-01-01T00:00:00Z\"\n  to     = \"2099-01-01T00:00:00Z\"\n  reason = \"release freeze\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        &config,
        format!(
            "interval = \"1h\"\nguardrail_store = \"s3://{bucket}/guardrail/\"\n\n\
             [environments.production]\ntargets = [\"s3://{bucket}/production/\"]\nwindow = \"{}\"\n\n\
             [environments.staging]\ntargets = [\"s3://{bucket}/staging/\"]\n",
            window.display()
        ),
    )
    .unwrap();
    let before = objects(&server).await;
    std::fs::write(&recording, "").unwrap();
    let mut env = server.env();
    env.push(("TFAUDIT_SERVE_FLUX_TOKEN".into(), FLUX_TOKEN.into()));
    let mut advisor = Advisor::start(&["--config", config.to_str().unwrap()], &env);
    assert_eq!(advisor.get("/healthz").status, 200);
    advisor.wait_ready();
    let ready = advisor.get("/readyz").json();
    assert_eq!(ready["ready"], true);
    assert_eq!(ready["stale"], false);

    // The report: the finding schema of `tfaudit state --format json`.
    let report = advisor.get("/api/v1/report").json();
    assert_eq!(report["command"], "state");
    assert!(report["generated_at"].is_string());
    assert!(report["stale_since"].is_null());
    let found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            for member in ["address", "message", "rule_id", "severity", "waived"] {
                assert!(f.get(member).is_some(), "{member} missing: {f}");
            }
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["environment"].as_str().unwrap().to_owned(),
                f["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let has = |rule: &str, env: &str, address: &str| {
        found
            .iter()
            .any(|(r, e, a)| r == rule && e == env && a.starts_with(address))
    };
    let origin = |key: &str| format!("s3://{bucket}/{key}");
    assert!(
        has(
            "state/unreadable",
            "production",
            &origin("production/broken.tfstate")
        ),
        "{found:?}"
    );
    assert!(
        has(
            "state/stale-lock",
            "staging",
            &origin("staging/app.tfstate")
        ),
        "{found:?}"
    );
    assert!(
        has("state/tainted", "staging", &origin("staging/app.tfstate")),
        "{found:?}"
    );
    assert!(
        report["summary"]["states"].as_u64().unwrap() >= 2,
        "{report}"
    );

    // Environments: production frozen by alice, its window closed.
    let production = advisor.get("/api/v1/environments/production").json();
    assert_eq!(production["frozen"], true, "{production}");
    assert_eq!(production["freeze"]["by"], "alice");
    assert_eq!(production["freeze"]["reason"], "database migration");
    assert!(production["freeze"]["until"].is_string());
    assert_eq!(production["window"]["open"], false);
    assert_eq!(
        production["last_break_glass"]["break_glass_ticket"],
        "INC-7"
    );
    let staging = advisor.get("/api/v1/environments/staging").json();
    assert_eq!(staging["frozen"], false);
    assert_eq!(staging["last_apply"]["plan_id"], "plan-42");
    assert_eq!(
        staging["stale_locks"][0],
        origin("staging/app.tfstate.tflock")
    );
    let all = advisor.get("/api/v1/environments").json();
    assert_eq!(all["environments"].as_array().unwrap().len(), 2);
    assert_eq!(advisor.get("/api/v1/environments/nowhere").status, 404);
    assert_eq!(
        advisor.get("/api/v1/environments/..%2F..%2Fetc").status,
        404
    );

    // Findings and trail filters.
    let unreadable = advisor.get("/api/v1/findings?rule=state/unreadable").json();
    assert_eq!(unreadable["count"], 1, "{unreadable}");
    let staging_findings = advisor.get("/api/v1/findings?environment=staging").json();
    assert!(staging_findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["environment"] == "staging"));
    let high = advisor.get("/api/v1/findings?severity=high").json();
    assert!(high["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "high"));
    assert_eq!(advisor.get("/api/v1/findings?severity=urgent").status, 400);
    let denied = advisor
        .get("/api/v1/trail?environment=staging&decision=denied")
        .json();
    assert_eq!(denied["count"], 1, "{denied}");
    assert_eq!(denied["records"][0]["who"], "bob");
    let recent = advisor.get("/api/v1/trail?since=24h").json();
    assert_eq!(recent["count"], 4, "{recent}");
    assert_eq!(advisor.get("/api/v1/trail?since=someday").status, 400);

    // Metrics: the SLIs, labelled by environment, rule, severity.
    let metrics = advisor.get("/metrics");
    assert_eq!(metrics.status, 200);
    for name in [
        "guardrail_advisor_last_success_timestamp_seconds ",
        "guardrail_advisor_cycle_duration_seconds_bucket",
        "guardrail_advisor_objects_listed_total",
        "guardrail_advisor_objects_fetched_total",
        "guardrail_advisor_findings{",
        "guardrail_advisor_environment_frozen{environment=\"production\"} 1",
        "guardrail_advisor_stale_locks{environment=\"staging\"} 1",
        "guardrail_state_lock_held_seconds{environment=\"staging\"}",
        "guardrail_advisor_attestations{",
        "guardrail_advisor_break_glass_applies_total{environment=\"production\"} 1",
        "guardrail_gate_denials_total{environment=\"staging\"} 1",
    ] {
        assert!(
            metrics.body.contains(name),
            "{name} missing:\n{}",
            metrics.body
        );
    }

    // ask: deterministic answers citing what they read.
    let ask = |question: &str| {
        advisor
            .post_json("/api/v1/ask", &json!({"question": question}))
            .json()
    };
    let why = ask("Why is production frozen?");
    assert_eq!(why["answered"], true, "{why}");
    let text = why["answer"].as_str().unwrap();
    assert!(
        text.contains("alice") && text.contains("database migration"),
        "{text}"
    );
    assert!(
        why["cites"]
            .to_string()
            .contains("guardrail/locks/production.json"),
        "{why}"
    );
    let who = ask("who applied to staging last and with which plan?");
    assert!(who["answer"].as_str().unwrap().contains("plan-42"), "{who}");
    assert!(
        who["cites"]
            .to_string()
            .contains("guardrail/audit/staging/")
            || who["cites"].to_string().contains("audit/staging/"),
        "{who}"
    );
    let safe = ask("Is it safe to apply to production now?");
    assert_eq!(safe["safe"], false, "{safe}");
    assert!(
        safe["answer"].as_str().unwrap().contains("frozen"),
        "{safe}"
    );
    let stale = ask("Which locks are stale?");
    assert!(
        stale["cites"]
            .to_string()
            .contains("staging/app.tfstate.tflock"),
        "{stale}"
    );
    let changed = ask("What changed in production since yesterday?");
    assert!(
        changed["cites"]
            .to_string()
            .contains("production/app.tfstate"),
        "{changed}"
    );
    assert!(changed["cites"][0]["serial"].is_u64(), "{changed}");
    let unknown = ask("what is the meaning of life?");
    assert_eq!(unknown["answered"], false);
    assert_eq!(unknown["questions"].as_array().unwrap().len(), 5);
    assert_eq!(
        advisor
            .request("POST", "/api/v1/ask", &[], b"not json")
            .status,
        400
    );

    // The state bucket and the guardrail store in it were only read (no IAM here:
    // serve_readonly.rs runs under a read-only user), and are as they were.
    let sent = std::fs::read_to_string(&recording).unwrap();
    let methods: Vec<String> = sent
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|entry| entry["method"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(!methods.is_empty());
    assert!(
        methods.iter().all(|m| m == "GET" || m == "HEAD"),
        "{methods:?}"
    );
    assert_eq!(
        objects(&server).await,
        before,
        "every object byte for byte as it was"
    );

    // Incremental: a second cycle over unchanged objects lists and fetches nothing.
    let fetched = advisor
        .metric("guardrail_advisor_objects_fetched_total")
        .unwrap();
    let listed = advisor
        .metric("guardrail_advisor_objects_listed_total")
        .unwrap();
    let cycles = advisor
        .metric("guardrail_advisor_cycles_total{outcome=\"complete\"}")
        .unwrap();
    put(
        &server,
        "staging/app.tfstate",
        fixture("mixed/empty.tfstate"),
    )
    .await;
    let event = json!({"involvedObject": {"kind": "Kustomization", "name": "apps-staging", "namespace": "flux-system"},
                       "severity": "info", "reason": "ReconciliationSucceeded", "message": "applied"});
    let queued = advisor.request(
        "POST",
        "/api/v1/events",
        &[("X-Flux-Token", FLUX_TOKEN)],
        event.to_string().as_bytes(),
    );
    assert_eq!(queued.status, 202, "{}", queued.body);
    assert_eq!(queued.json()["environment"], "staging");
    advisor.wait_until("re-audited", |a| {
        a.metric("guardrail_advisor_cycles_total{outcome=\"complete\"}") > Some(cycles)
    });
    let fetched_after = advisor
        .metric("guardrail_advisor_objects_fetched_total")
        .unwrap();
    let listed_after = advisor
        .metric("guardrail_advisor_objects_listed_total")
        .unwrap();
    let production_objects = server
        .keys()
        .await
        .iter()
        .filter(|key| key.starts_with("production/"))
        .count() as f64;
    assert!(production_objects > 0.0);
    assert_eq!(
        listed_after - listed,
        listed - production_objects,
        "staging's states and the store listed again, production's states not"
    );
    assert_eq!(
        fetched_after - fetched,
        1.0,
        "only the changed state is fetched again"
    );

    // The page, in headless Chromium.
    if let Some(chromium) = headless_chromium() {
        let shot = std::env::temp_dir().join(format!("advisor-page-{}.png", std::process::id()));
        let output = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--window-size=1280,1600",
                &format!("--screenshot={}", shot.display()),
            ])
            .arg(advisor.url("/"))
            .output()
            .unwrap();
        assert!(
            shot.is_file(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        println!("advisor page screenshot: {}", shot.display());
        let dom = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--dump-dom",
            ])
            .arg(advisor.url("/"))
            .output()
            .unwrap();
        let dom = String::from_utf8_lossy(&dom.stdout);
        let row = |id: &str| {
            let start = dom
                .find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("{id} not on the page: {dom}"));
            dom[start..start + dom[start..].find("</tr>").unwrap()].to_owned()
        };
        let production_row = row("env-production");
        assert!(
            production_row.contains("FROZEN by alice"),
            "{production_row}"
        );
        assert!(
            production_row.contains("database migration"),
            "{production_row}"
        );
        assert!(production_row.contains("closed"), "{production_row}");
        assert!(row("env-staging").contains("not frozen"));
        assert!(dom.contains("STALE LOCK"), "{dom}");
        assert!(dom.contains(&origin("staging/app.tfstate.tflock")));
    } else {
        panic!("chromium is not installed (scripts/setup.sh installs it)");
    }

    // SIGTERM: exit 0, promptly.
    let (code, took) = advisor.terminate();
    assert_eq!(code, Some(0), "{}", advisor.logs());
    assert!(took < Duration::from_secs(5), "{took:?}");
    let log = advisor.logs();
    assert!(!log.contains(FLUX_TOKEN), "the token is never logged");
}
