//! Drift in the advisor's cycle. production's state (`cluster.tfstate`, read from
//! moto) is compared live with a local stand-in of the Hetzner Cloud API serving
//! the documented shapes, where the control plane was resized by hand, the agent
//! is gone and an orphan carries the cluster's labels; staging's drift comes
//! from the refresh-only plan CI uploaded under an S3 prefix. The report, the
//! environment view and the page show the drift per environment; a cycle over
//! unchanged objects still reports it (the cached states keep what live drift
//! compares) without fetching the plan again; once the cloud is fixed and a new
//! plan is uploaded, the drift is gone. The token appears in no answer, page,
//! metric or log.

#[path = "support/advisor.rs"]
mod advisor;
#[path = "support/cli.rs"]
mod cli;
#[path = "support/hcloud_server.rs"]
mod hcloud_server;

use advisor::Advisor;
use guardrail_testkit::header_proxy::{HeaderProxy, SeenRequest};
use guardrail_testkit::S3Server;
use hcloud_server::cluster::{labels, matching_cloud, seed, server};
use hcloud_server::HcloudServer;
use serde_json::json;

const TOKEN: &str =
    "hcloud-advisor-token-9c1e5a7b3d2f8e6a4c0b9d7f5e3a1c8b6d4f2e0a9c7b5d3f1e8a6c4b2d0f9e7a";
const FLUX_TOKEN: &str = "flux-token-drift";
const CONTROL_PLANE: &str =
    "module.kube_hetzner.hcloud_server.control_planes[\"1-0-control-plane-nbg1\"]";
const AGENT: &str = "module.kube_hetzner.hcloud_server.agents[\"0-0-agent-small\"]";

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

/// `(environment, rule, address, message)` of every `drift/*` finding.
fn drift_findings(advisor: &Advisor) -> Vec<(String, String, String, String)> {
    let report = advisor.get("/api/v1/report").json();
    let mut found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"].as_str().unwrap().starts_with("drift/"))
        .map(|f| {
            (
                f["environment"].as_str().unwrap().to_owned(),
                f["rule_id"].as_str().unwrap().to_owned(),
                f["address"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

fn completed(advisor: &Advisor) -> f64 {
    advisor
        .metric("guardrail_advisor_cycles_total{outcome=\"complete\"}")
        .unwrap_or(0.0)
}

/// A cycle of every environment, asked for by an event that names none.
fn cycle(advisor: &Advisor) {
    let before = completed(advisor);
    let answer = advisor.request(
        "POST",
        "/api/v1/events",
        &[("X-Flux-Token", FLUX_TOKEN)],
        json!({"involvedObject": {"name": "cluster-wide"}})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(answer.status, 202, "{}", answer.body);
    advisor.wait_until("a cycle", |a| completed(a) > before);
}

fn plan_gets(requests: &[SeenRequest]) -> usize {
    requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("drift-plans/staging/root.json"))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn live_and_refresh_plan_drift_are_reported_per_environment() {
    let server_s3 = S3Server::start();
    let bucket = server_s3.bucket().to_owned();
    let client = server_s3.client().await;
    put(
        &client,
        &bucket,
        "production/app.tfstate",
        std::fs::read(cli::data("states/cluster.tfstate")).unwrap(),
    )
    .await;
    put(
        &client,
        &bucket,
        "staging/app.tfstate",
        std::fs::read(cli::data("states/mixed/empty.tfstate")).unwrap(),
    )
    .await;
    put(
        &client,
        &bucket,
        "drift-plans/staging/root.json",
        std::fs::read(cli::data("states/refresh-plan.json")).unwrap(),
    )
    .await;

    let api = HcloudServer::start(TOKEN);
    let mut cloud = matching_cloud();
    cloud.insert(
        "servers",
        vec![
            server(
                5001,
                "prod-control-plane-nbg1-abc",
                "cx32",
                labels(Some("control_plane")),
            ),
            server(5003, "prod-agent-orphan", "cx22", labels(Some("agent"))),
        ],
    );
    seed(&api, &cloud);

    let proxy = HeaderProxy::start(&server_s3);
    let dir = tempfile::tempdir().unwrap();
    let config = cli::write(
        dir.path(),
        "advisor.toml",
        &format!(
            "interval = \"1h\"\nendpoint = \"{}\"\nhcloud_endpoint = \"{}\"\n\n\
             [environments.production]\ntargets = [\"s3://{bucket}/production/\"]\nlabel_selector = \"cluster=prod\"\n\n\
             [environments.staging]\ntargets = [\"s3://{bucket}/staging/\"]\nrefresh_plans = \"s3://{bucket}/drift-plans/staging/\"\n",
            proxy.endpoint(),
            api.endpoint()
        ),
    );
    let mut env: Vec<(String, String)> = server_s3
        .env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_ENDPOINT_URL_S3")
        .collect();
    env.push(("HCLOUD_TOKEN".into(), TOKEN.into()));
    env.push(("TFAUDIT_SERVE_FLUX_TOKEN".into(), FLUX_TOKEN.into()));
    let mut advisor = Advisor::start(&["--config", config.to_str().unwrap()], &env);
    advisor.wait_ready();

    let address = |resource: &str| format!("s3://{bucket}/production/app.tfstate#{resource}");
    let drifted = vec![
        (
            "production".to_owned(),
            "drift/changed".to_owned(),
            address(CONTROL_PLANE),
            "changed outside Terraform: server_type: cx22 -> cx32".to_owned(),
        ),
        (
            "production".to_owned(),
            "drift/missing".to_owned(),
            address(AGENT),
            "gone from the cloud: hcloud_server id 5002 is not in GET /servers".to_owned(),
        ),
        (
            "production".to_owned(),
            "drift/unmanaged".to_owned(),
            "hcloud:servers/5003".to_owned(),
            "hcloud_server `prod-agent-orphan` (id 5003) matches label selector `cluster=prod` but no audited state manages it".to_owned(),
        ),
        (
            "staging".to_owned(),
            "drift/changed".to_owned(),
            "module.kube_hetzner.hcloud_firewall.k3s".to_owned(),
            "changed outside Terraform: rule[0].source_ips[0]: 10.0.0.0/8 -> 0.0.0.0/0".to_owned(),
        ),
        (
            "staging".to_owned(),
            "drift/changed".to_owned(),
            "module.kube_hetzner.hcloud_server.control_planes[\"1-0-control-plane-nbg1\"]".to_owned(),
            "changed outside Terraform: labels.last_seen: 2026-01-01 -> 2026-02-01; server_type: cx22 -> cx32; user_data: (sensitive) -> (sensitive)".to_owned(),
        ),
        (
            "staging".to_owned(),
            "drift/missing".to_owned(),
            "module.kube_hetzner.hcloud_server.agents[\"0-0-agent-small\"]".to_owned(),
            "gone from the cloud: the refresh found no remote object".to_owned(),
        ),
    ];
    let mut expected = drifted.clone();
    expected.sort();
    assert_eq!(drift_findings(&advisor), expected, "{}", advisor.logs());

    let production = advisor.get("/api/v1/environments/production").json();
    assert_eq!(
        production["drift"]["live"]["status"], "checked",
        "{production}"
    );
    assert!(production["drift"]["live"]["resources_checked"].as_u64() > Some(0));
    assert_eq!(
        production["drift"]["live"]["unmanaged_selector"],
        "cluster=prod"
    );
    assert!(production["drift"]["refresh"].is_null());
    let staging = advisor.get("/api/v1/environments/staging").json();
    assert_eq!(staging["drift"]["refresh"]["plans"], 1, "{staging}");
    assert_eq!(staging["drift"]["live"]["resources_checked"], 0);
    let page = advisor.get("/").body;
    let row = |page: &str, env: &str| {
        let start = page.find(&format!("<tr id=\"env-{env}\">")).unwrap();
        page[start..start + page[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(
        row(&page, "production").contains("1 missing, 1 changed, 1 unmanaged"),
        "{}",
        row(&page, "production")
    );
    assert!(row(&page, "staging").contains("1 missing, 2 changed, 0 unmanaged"));
    assert!(row(&page, "staging").contains("1 refresh-only plans"));
    let metrics = advisor.get("/metrics").body;
    for (env, kind, n) in [
        ("production", "changed", 1),
        ("production", "missing", 1),
        ("production", "unmanaged", 1),
        ("staging", "changed", 2),
    ] {
        let line =
            format!("guardrail_drift_resources{{environment=\"{env}\",kind=\"{kind}\"}} {n}");
        assert!(metrics.contains(&line), "{line}: {metrics}");
    }

    // Unchanged objects: the drift stands, the plan is not fetched again, the
    // cloud is asked again.
    assert_eq!(plan_gets(&proxy.requests()), 1);
    let asked = api.requests().len();
    cycle(&advisor);
    assert_eq!(drift_findings(&advisor), expected);
    assert_eq!(
        plan_gets(&proxy.requests()),
        1,
        "an unchanged plan is not fetched"
    );
    assert!(
        api.requests().len() > asked,
        "the live check runs every cycle"
    );

    // The cloud is fixed, the new plan shows no drift: one GET, no drift left.
    seed(&api, &matching_cloud());
    put(
        &client,
        &bucket,
        "drift-plans/staging/root.json",
        json!({"format_version": "1.2", "resource_drift": []})
            .to_string()
            .into_bytes(),
    )
    .await;
    cycle(&advisor);
    assert_eq!(drift_findings(&advisor), vec![], "{}", advisor.logs());
    assert_eq!(plan_gets(&proxy.requests()), 2);
    let staging = advisor.get("/api/v1/environments/staging").json();
    assert_eq!(staging["drift"]["refresh"]["drifted"], 0, "{staging}");

    // A plan that is not JSON is said, and the other drift stands.
    put(
        &client,
        &bucket,
        "drift-plans/staging/root.json",
        b"{\"resource_drift\": [".to_vec(),
    )
    .await;
    cycle(&advisor);
    let staging = advisor.get("/api/v1/environments/staging").json();
    let unreadable = staging["drift"]["refresh"]["unreadable"].to_string();
    assert!(
        unreadable.contains("drift-plans/staging/root.json"),
        "{staging}"
    );
    assert!(advisor.get("/").body.contains("unreadable: s3://"));

    let everything: Vec<(&str, String)> = vec![
        ("report", advisor.get("/api/v1/report").body),
        ("environments", advisor.get("/api/v1/environments").body),
        ("page", advisor.get("/").body),
        ("metrics", advisor.get("/metrics").body),
        ("summary", advisor.get("/api/v1/summary").body),
    ];
    let (code, _) = advisor.terminate();
    assert_eq!(code, Some(0));
    for (what, text) in everything
        .iter()
        .map(|(w, t)| (*w, t.as_str()))
        .chain([("log", advisor.logs().as_str())])
    {
        assert!(!text.contains(TOKEN), "the token in the {what}");
        assert!(
            !text.contains(&TOKEN[..24]),
            "part of the token in the {what}"
        );
    }
}
