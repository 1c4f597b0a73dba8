//! Events and access: GitHub `workflow_run` webhooks signed with HMAC-SHA256,
//! Flux events with a shared token, 401 for unsigned or wrongly signed ones,
//! 413 beyond 1 MiB, a burst coalesced into one cycle, and the optional bearer
//! token of `/api`. No secret shows in any answer, log or metric.

#[path = "support/advisor.rs"]
mod advisor;
#[path = "support/cli.rs"]
mod cli;

use std::time::Duration;

use advisor::Advisor;
use guardrail_testkit::S3Server;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

const API_TOKEN: &str = "api-token-5f2a9c";
const GITHUB_SECRET: &str = "github-webhook-secret-77";
const FLUX_TOKEN: &str = "flux-token-e41b";

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn completed_cycles(advisor: &Advisor) -> f64 {
    advisor
        .metric("guardrail_advisor_cycles_total{outcome=\"complete\"}")
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_are_verified_coalesced_and_the_api_token_is_required() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    server
        .client()
        .await
        .put_object()
        .bucket(&bucket)
        .key("production/app.tfstate")
        .body(
            std::fs::read(cli::data("states/cluster.tfstate"))
                .unwrap()
                .into(),
        )
        .send()
        .await
        .unwrap();
    let mut env = server.env();
    env.push(("TFAUDIT_SERVE_API_TOKEN".into(), API_TOKEN.into()));
    env.push(("TFAUDIT_SERVE_GITHUB_SECRET".into(), GITHUB_SECRET.into()));
    env.push(("TFAUDIT_SERVE_FLUX_TOKEN".into(), FLUX_TOKEN.into()));
    let targets = format!("production=s3://{bucket}/production/,staging=s3://{bucket}/staging/");
    env.push(("TFAUDIT_SERVE_TARGETS".into(), targets));
    let mut advisor = Advisor::start(&["--interval", "1h"], &env);
    advisor.wait_ready();

    // The bearer token of /api; health and metrics stay open to probes and Prometheus.
    assert_eq!(advisor.get("/api/v1/report").status, 401);
    let wrong = advisor.request(
        "GET",
        "/api/v1/report",
        &[("Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let bearer = format!("Bearer {API_TOKEN}");
    let report = advisor.request("GET", "/api/v1/report", &[("Authorization", &bearer)], b"");
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(advisor.get("/healthz").status, 200);
    assert_eq!(advisor.get("/metrics").status, 200);

    // GitHub workflow_run.
    let body = json!({"action": "completed", "workflow_run": {"name": "apply production",
        "head_branch": "main", "path": ".github/workflows/apply.yml", "conclusion": "success"}})
    .to_string();
    let github = |signature: Option<&str>, event: &str, body: &[u8]| {
        let mut headers = vec![
            ("X-GitHub-Event", event),
            ("Content-Type", "application/json"),
        ];
        if let Some(signature) = signature {
            headers.push(("X-Hub-Signature-256", signature));
        }
        advisor.request("POST", "/api/v1/events", &headers, body)
    };
    let good = sign(GITHUB_SECRET, body.as_bytes());
    let accepted = github(Some(&good), "workflow_run", body.as_bytes());
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.json()["environment"], "production");
    assert_eq!(github(None, "workflow_run", body.as_bytes()).status, 401);
    let other_key = sign("another-secret", body.as_bytes());
    assert_eq!(
        github(Some(&other_key), "workflow_run", body.as_bytes()).status,
        401
    );
    let tampered = body.replace("production", "staging");
    assert_eq!(
        github(Some(&good), "workflow_run", tampered.as_bytes()).status,
        401
    );
    assert_eq!(
        github(Some("sha256=zz"), "workflow_run", body.as_bytes()).status,
        401
    );
    assert_eq!(
        github(Some(&good[7..]), "workflow_run", body.as_bytes()).status,
        401
    );
    let ping = json!({"zen": "Keep it logically awesome."}).to_string();
    assert_eq!(
        github(
            Some(&sign(GITHUB_SECRET, ping.as_bytes())),
            "ping",
            ping.as_bytes()
        )
        .status,
        200
    );

    // Flux notification-controller events.
    let event = json!({"involvedObject": {"kind": "Kustomization", "name": "apps-staging",
        "namespace": "flux-system"}, "severity": "info", "reason": "ReconciliationSucceeded"})
    .to_string();
    let flux = |headers: &[(&str, &str)]| {
        advisor.request("POST", "/api/v1/events", headers, event.as_bytes())
    };
    assert_eq!(flux(&[]).status, 401);
    assert_eq!(flux(&[("X-Flux-Token", "guess")]).status, 401);
    assert_eq!(
        flux(&[("Authorization", &bearer)]).status,
        401,
        "the API token is not the Flux token"
    );
    let accepted = flux(&[("X-Flux-Token", FLUX_TOKEN)]);
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    assert_eq!(accepted.json()["environment"], "staging");
    let flux_bearer = format!("Bearer {FLUX_TOKEN}");
    assert_eq!(flux(&[("Authorization", &flux_bearer)]).status, 202);

    // Over 1 MiB: 413, signed or not.
    let big = vec![b' '; 1024 * 1024 + 1];
    let big_signature = sign(GITHUB_SECRET, &big);
    assert_eq!(
        github(Some(&big_signature), "workflow_run", &big).status,
        413
    );
    assert_eq!(
        advisor
            .request(
                "POST",
                "/api/v1/events",
                &[("X-Flux-Token", FLUX_TOKEN)],
                &big
            )
            .status,
        413
    );

    // A burst of events makes one cycle (two at most, when one was running).
    std::thread::sleep(Duration::from_secs(2));
    let before = completed_cycles(&advisor);
    for _ in 0..25 {
        assert_eq!(
            github(Some(&good), "workflow_run", body.as_bytes()).status,
            202
        );
    }
    advisor.wait_until("re-audited", |a| completed_cycles(a) > before);
    std::thread::sleep(Duration::from_secs(2));
    let made = completed_cycles(&advisor) - before;
    assert!((1.0..=2.0).contains(&made), "25 events made {made} cycles");
    let metrics = advisor.get("/metrics").body;
    assert!(
        metrics.contains("guardrail_advisor_events_total{source=\"github\",outcome=\"accepted\"}"),
        "{metrics}"
    );
    assert!(metrics
        .contains("guardrail_advisor_events_total{source=\"github\",outcome=\"unauthorized\"}"));

    // No secret anywhere.
    let report = advisor
        .request("GET", "/api/v1/report", &[("Authorization", &bearer)], b"")
        .body;
    let page = advisor.get("/").body;
    let (code, _) = advisor.terminate();
    assert_eq!(code, Some(0));
    let logs = advisor.logs();
    for secret in [
        API_TOKEN,
        GITHUB_SECRET,
        FLUX_TOKEN,
        guardrail_testkit::SECRET_ACCESS_KEY,
    ] {
        for (what, text) in [
            ("metrics", &metrics),
            ("report", &report),
            ("page", &page),
            ("log", &logs),
        ] {
            assert!(!text.contains(secret), "a secret in the {what}");
        }
    }
}
