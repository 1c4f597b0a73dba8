//! Live drift against a local Hetzner Cloud API stand-in: missing, changed and
//! unmanaged resources, pagination, label selectors, 429 retries and a bad token.

#[path = "support/hcloud_server.rs"]
mod hcloud_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use guardrail_testkit::tools;
use hcloud_server::HcloudServer;
use serde_json::{json, Value};

const TOKEN: &str =
    "hcloud-test-token-4f9b2c7d1e8a3f6b0c5d9e2a7f1b4c8d6e3a0f5b9c2d7e1a4f8b3c6d0e9a2f5b";

fn cluster_state() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/states/cluster.tfstate")
}

fn labels(role: Option<&str>) -> Value {
    let mut labels = json!({"cluster": "prod", "provisioner": "terraform", "engine": "k3s"});
    if let Some(role) = role {
        labels["role"] = role.into();
    }
    labels
}

fn server(id: u64, name: &str, server_type: &str, labels: Value) -> Value {
    json!({
        "id": id, "name": name, "status": "running", "created": "2026-01-05T10:00:00+00:00",
        "server_type": {"id": 22, "name": server_type, "cores": 2, "memory": 4.0, "disk": 40},
        "image": {"id": 161547269, "type": "system", "name": "ubuntu-24.04", "os_flavor": "ubuntu"},
        "datacenter": {"id": 2, "name": "nbg1-dc3", "location": {"id": 2, "name": "nbg1", "network_zone": "eu-central"}},
        "public_net": {"ipv4": {"ip": "49.12.1.10"}, "firewalls": [{"id": 1001, "status": "applied"}]},
        "labels": labels, "placement_group": null, "protection": {"delete": false, "rebuild": false}
    })
}

/// The cloud exactly as `cluster.tfstate` describes it.
fn seed_matching_cloud(api: &HcloudServer) {
    api.set(
        "servers",
        vec![
            server(
                5001,
                "prod-control-plane-nbg1-abc",
                "cx22",
                labels(Some("control_plane")),
            ),
            server(5002, "prod-agent-small-def", "cx22", labels(Some("agent"))),
        ],
    );
    api.set("networks", vec![json!({
        "id": 2001, "name": "prod", "ip_range": "10.0.0.0/8", "labels": labels(None),
        "subnets": [{"type": "cloud", "ip_range": "10.255.0.0/16", "network_zone": "eu-central", "gateway": "10.0.0.1"}],
        "routes": [], "servers": [5001, 5002], "protection": {"delete": false}
    })]);
    api.set("firewalls", vec![json!({
        "id": 1001, "name": "prod", "labels": labels(None), "applied_to": [],
        "rules": [
            {"direction": "in", "protocol": "tcp", "port": "6443", "source_ips": ["10.0.0.0/8"], "destination_ips": [], "description": "kube-apiserver"},
            {"direction": "in", "protocol": "icmp", "port": null, "source_ips": ["0.0.0.0/0", "::/0"], "destination_ips": [], "description": "ping"}
        ]
    })]);
    api.set("placement_groups", vec![json!({"id": 3001, "name": "prod-cp", "type": "spread", "labels": labels(None), "servers": [5001]})]);
    api.set("ssh_keys", vec![json!({"id": 4001, "name": "prod", "fingerprint": "b7:2f:4a:10:22:9d:5e:61:00:aa:3c:7e:91:0d:42:ee", "public_key": "ssh-ed25519 AAAA", "labels": labels(None)})]);
    api.set("load_balancers", vec![json!({
        "id": 6001, "name": "prod", "load_balancer_type": {"id": 1, "name": "lb11"},
        "location": {"id": 2, "name": "nbg1", "network_zone": "eu-central"}, "labels": labels(None),
        "public_net": {"enabled": true, "ipv4": {"ip": "49.12.1.20"}}, "algorithm": {"type": "round_robin"}
    })]);
    api.set("volumes", vec![json!({"id": 7001, "name": "prod-longhorn", "size": 50, "server": 5002, "location": {"id": 2, "name": "nbg1"}, "labels": labels(None), "linux_device": "/dev/disk/by-id/scsi-0HC_Volume_7001", "format": "ext4", "status": "available"})]);
    api.set("primary_ips", vec![json!({"id": 8001, "name": "prod-ingress", "type": "ipv4", "ip": "49.12.1.30", "datacenter": {"id": 2, "name": "nbg1-dc3", "location": {"name": "nbg1"}}, "assignee_id": null, "assignee_type": "server", "auto_delete": false, "labels": labels(None)})]);
    api.set("floating_ips", vec![json!({"id": 9001, "name": "prod-egress", "type": "ipv4", "ip": "49.12.1.40", "home_location": {"id": 2, "name": "nbg1"}, "server": 5002, "labels": labels(None), "description": ""})]);
}

fn drift(api: &HcloudServer, token: &str, extra: &[&str], cwd: &Path) -> Output {
    let state = cluster_state().display().to_string();
    let endpoint = api.endpoint();
    let mut args = vec![
        "drift",
        "--state",
        &state,
        "--hcloud-endpoint",
        &endpoint,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    Command::new(tools::tfaudit_bin())
        .args(&args)
        .current_dir(cwd)
        .env("HCLOUD_TOKEN", token)
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

fn address(resource: &str) -> String {
    format!("{}#{resource}", cluster_state().display())
}

#[test]
fn a_matching_cloud_has_no_drift() {
    let api = HcloudServer::start(TOKEN);
    seed_matching_cloud(&api);
    let dir = tempfile::tempdir().unwrap();
    let output = drift(
        &api,
        TOKEN,
        &["--label-selector", "cluster=prod"],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(findings(&output), []);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["resources_checked"], 11);
}

#[test]
fn missing_changed_and_unmanaged_resources_are_reported() {
    let api = HcloudServer::start(TOKEN);
    seed_matching_cloud(&api);
    // The agent is gone, the control plane was resized and relabelled by hand,
    // an orphan carries the cluster's labels, another project's server does not.
    api.set("servers", vec![
        server(5001, "prod-control-plane-nbg1-abc", "cx32", json!({"cluster": "prod", "provisioner": "terraform", "engine": "k3s", "role": "debug"})),
        server(5003, "prod-agent-orphan", "cx22", labels(Some("agent"))),
        server(5004, "staging-agent", "cx22", json!({"cluster": "staging"})),
    ]);
    api.set("firewalls", vec![json!({
        "id": 1001, "name": "prod", "labels": labels(None), "applied_to": [],
        "rules": [
            {"direction": "in", "protocol": "tcp", "port": "6443", "source_ips": ["0.0.0.0/0"], "destination_ips": [], "description": "kube-apiserver"},
            {"direction": "in", "protocol": "icmp", "port": null, "source_ips": ["0.0.0.0/0", "::/0"], "destination_ips": [], "description": "ping"}
        ]
    })]);
    api.set("volumes", vec![json!({"id": 7001, "name": "prod-longhorn", "size": 100, "location": {"id": 2, "name": "nbg1"}, "labels": labels(None)})]);
    api.max_per_page(2);

    let dir = tempfile::tempdir().unwrap();
    let output = drift(
        &api,
        TOKEN,
        &["--label-selector", "cluster=prod"],
        dir.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = vec![
        ("drift/changed".to_owned(), address("module.kube_hetzner.hcloud_firewall.k3s"),
         "changed outside Terraform: rule: in tcp 6443 from [10.0.0.0/8] to [] -> in tcp 6443 from [0.0.0.0/0] to []".to_owned()),
        ("drift/changed".to_owned(), address("module.kube_hetzner.hcloud_server.control_planes[\"1-0-control-plane-nbg1\"]"),
         "changed outside Terraform: server_type: cx22 -> cx32; labels.role: control_plane -> debug".to_owned()),
        ("drift/changed".to_owned(), address("module.kube_hetzner.hcloud_volume.longhorn[0]"),
         "changed outside Terraform: size: 50 -> 100".to_owned()),
        ("drift/missing".to_owned(), address("module.kube_hetzner.hcloud_server.agents[\"0-0-agent-small\"]"),
         "gone from the cloud: hcloud_server id 5002 is not in GET /servers".to_owned()),
        ("drift/unmanaged".to_owned(), "hcloud:servers/5003".to_owned(),
         "hcloud_server `prod-agent-orphan` (id 5003) matches label selector `cluster=prod` but no audited state manages it".to_owned()),
    ];
    assert_eq!(findings(&output), expected);

    let requests = api.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.starts_with("/v1/servers?page=2&per_page=50")),
        "pages followed: {requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r == "/v1/servers?page=1&per_page=50&label_selector=cluster%3Dprod"),
        "{requests:?}"
    );

    // Noisy attributes can be ignored per type through the configuration.
    std::fs::write(
        dir.path().join(".tfaudit.toml"),
        "[drift.ignore]\nhcloud_server = [\"labels\"]\nhcloud_volume = [\"size\"]\n",
    )
    .unwrap();
    let output = drift(&api, TOKEN, &[], dir.path());
    let messages: Vec<String> = findings(&output)
        .into_iter()
        .filter(|f| f.0 == "drift/changed")
        .map(|f| f.2)
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages.contains(&"changed outside Terraform: server_type: cx22 -> cx32".to_owned()),
        "{messages:?}"
    );
}

#[test]
fn rate_limits_are_waited_out_and_give_up_after_a_bound() {
    let api = HcloudServer::start(TOKEN);
    seed_matching_cloud(&api);
    api.rate_limit_next(2, 1);
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = drift(&api, TOKEN, &[], dir.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "RateLimit-Reset was not honoured"
    );
    let requests = api.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.starts_with("/v1/firewalls?page=1"))
            .count(),
        3,
        "{requests:?}"
    );

    api.rate_limit_next(1000, 0);
    let output = drift(&api, TOKEN, &[], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("still rate limited (429) after 4 attempts"),
        "{stderr}"
    );
}

#[test]
fn a_bad_token_is_a_clear_error_that_never_shows_the_token() {
    let api = HcloudServer::start(TOKEN);
    seed_matching_cloud(&api);
    let wrong = "wrong-token-7d3f9a1c5e8b2d6f0a4c8e1b5d9f3a7c";
    let dir = tempfile::tempdir().unwrap();
    let output = drift(&api, wrong, &[], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "rejected the token (HCLOUD_TOKEN) with 401 unauthorized: unable to authenticate"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(wrong) && !String::from_utf8_lossy(&output.stdout).contains(wrong));

    let output = Command::new(tools::tfaudit_bin())
        .args(["drift", "--state", "x.tfstate"])
        .env_remove("HCLOUD_TOKEN")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("give --refresh-plan PLAN_JSON, or set HCLOUD_TOKEN"));
}
