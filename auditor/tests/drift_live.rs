//! Live drift against a local Hetzner Cloud API stand-in that serves the
//! documented response shapes: missing and changed resources of every supported
//! type, unmanaged ones (with a given or a derived label selector), pagination
//! and its bound, label selector syntax, 429 retries, a bad token, states read
//! from S3, and how live drift combines with a refresh-only plan.

#[path = "support/hcloud_server.rs"]
mod hcloud_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use guardrail_testkit::{tools, S3Server};
use hcloud_server::cluster::{labels, matching_cloud, seed, server, Cloud};
use hcloud_server::{shapes, HcloudServer};
use serde_json::{json, Value};

const TOKEN: &str =
    "hcloud-test-token-4f9b2c7d1e8a3f6b0c5d9e2a7f1b4c8d6e3a0f5b9c2d7e1a4f8b3c6d0e9a2f5b";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/states")
        .join(name)
}

fn cluster_state() -> PathBuf {
    data("cluster.tfstate")
}

/// The object `id` of `collection`.
fn object<'a>(cloud: &'a mut Cloud, collection: &str, id: u64) -> &'a mut Value {
    cloud
        .get_mut(collection)
        .and_then(|items| items.iter_mut().find(|item| item["id"] == id))
        .unwrap_or_else(|| panic!("no {collection} {id} in the fixture"))
}

fn remove(cloud: &mut Cloud, collection: &str, id: u64) {
    cloud
        .get_mut(collection)
        .unwrap()
        .retain(|item| item["id"] != id);
}

fn tfaudit(args: &[&str], env: &[(String, String)], cwd: &Path) -> Output {
    let mut command = Command::new(tools::tfaudit_bin());
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("HCLOUD_TOKEN")
        .env_remove("HCLOUD_ENDPOINT");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("run tfaudit")
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
    tfaudit(&args, &[("HCLOUD_TOKEN".into(), token.into())], cwd)
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn findings(output: &Output) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = report(output)["findings"]
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

fn finding(rule: &str, resource: &str, message: &str) -> (String, String, String) {
    (rule.into(), address(resource), message.into())
}

const CONTROL_PLANE: &str =
    "module.kube_hetzner.hcloud_server.control_planes[\"1-0-control-plane-nbg1\"]";
const AGENT: &str = "module.kube_hetzner.hcloud_server.agents[\"0-0-agent-small\"]";
const NETWORK: &str = "module.kube_hetzner.hcloud_network.k3s";
const SUBNET: &str = "module.kube_hetzner.hcloud_network_subnet.control_plane[0]";
const FIREWALL: &str = "module.kube_hetzner.hcloud_firewall.k3s";
const PLACEMENT_GROUP: &str = "module.kube_hetzner.hcloud_placement_group.control_plane[0]";
const SSH_KEY: &str = "module.kube_hetzner.hcloud_ssh_key.k3s[0]";
const LOAD_BALANCER: &str = "module.kube_hetzner.hcloud_load_balancer.cluster[0]";
const VOLUME: &str = "module.kube_hetzner.hcloud_volume.longhorn[0]";
const PRIMARY_IP: &str = "hcloud_primary_ip.ingress";
const FLOATING_IP: &str = "hcloud_floating_ip.egress";

#[test]
fn a_matching_cloud_has_no_drift() {
    let api = HcloudServer::start(TOKEN);
    seed(&api, &matching_cloud());
    let dir = tempfile::tempdir().unwrap();
    for extra in [&["--label-selector", "cluster=prod"][..], &[]] {
        let output = drift(&api, TOKEN, extra, dir.path());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(findings(&output), []);
        assert_eq!(report(&output)["summary"]["resources_checked"], 11);
    }
}

/// One edit of the cloud and the finding it must produce.
struct Case {
    edit: fn(&mut Cloud),
    resource: &'static str,
    message: &'static str,
}

#[test]
fn every_attribute_that_matters_is_reported_as_before_and_after() {
    let cases = [
        Case {
            edit: |c| object(c, "servers", 5001)["server_type"] = shapes::server_type("cx32"),
            resource: CONTROL_PLANE,
            message: "server_type: cx22 -> cx32",
        },
        Case {
            edit: |c| object(c, "servers", 5001)["image"] = shapes::image("debian-12"),
            resource: CONTROL_PLANE,
            message: "image: ubuntu-24.04 -> debian-12",
        },
        Case {
            edit: |c| object(c, "servers", 5002)["location"] = shapes::location("fsn1"),
            resource: AGENT,
            message: "location: nbg1 -> fsn1",
        },
        Case {
            edit: |c| {
                let labels = &mut object(c, "servers", 5002)["labels"];
                labels["role"] = "debug".into();
                labels["hcloud/node-group"] = "spot".into();
            },
            resource: AGENT,
            message: "labels[\"hcloud/node-group\"]: (absent) -> spot; labels.role: agent -> debug",
        },
        Case {
            edit: |c| {
                object(c, "firewalls", 1001)["rules"][0]["source_ips"] = json!(["0.0.0.0/0"]);
            },
            resource: FIREWALL,
            message: "rule: in tcp 6443 from [10.0.0.0/8] to [] -> in tcp 6443 from [0.0.0.0/0] to []",
        },
        Case {
            edit: |c| {
                let rules = object(c, "firewalls", 1001)["rules"].as_array_mut().unwrap();
                rules.push(shapes::rule("tcp", Some("22"), &["0.0.0.0/0"], "debug ssh"));
            },
            resource: FIREWALL,
            message: "rule: (none) -> in tcp 22 from [0.0.0.0/0] to []",
        },
        Case {
            edit: |c| object(c, "firewalls", 1001)["labels"]["cluster"] = "staging".into(),
            resource: FIREWALL,
            message: "labels.cluster: prod -> staging",
        },
        Case {
            edit: |c| object(c, "networks", 2001)["ip_range"] = "10.0.0.0/16".into(),
            resource: NETWORK,
            message: "ip_range: 10.0.0.0/8 -> 10.0.0.0/16",
        },
        Case {
            edit: |c| object(c, "networks", 2001)["labels"]["engine"] = "rke2".into(),
            resource: NETWORK,
            message: "labels.engine: k3s -> rke2",
        },
        Case {
            edit: |c| {
                let subnet = &mut object(c, "networks", 2001)["subnets"][0];
                subnet["type"] = "vswitch".into();
                subnet["vswitch_id"] = 1000.into();
            },
            resource: SUBNET,
            message: "type: cloud -> vswitch",
        },
        Case {
            edit: |c| object(c, "volumes", 7001)["size"] = 100.into(),
            resource: VOLUME,
            message: "size: 50 -> 100",
        },
        Case {
            edit: |c| object(c, "volumes", 7001)["location"] = shapes::location("hel1"),
            resource: VOLUME,
            message: "location: nbg1 -> hel1",
        },
        Case {
            edit: |c| {
                object(c, "load_balancers", 6001)["load_balancer_type"] =
                    shapes::load_balancer_type("lb21");
            },
            resource: LOAD_BALANCER,
            message: "load_balancer_type: lb11 -> lb21",
        },
        Case {
            edit: |c| {
                object(c, "placement_groups", 3001)["labels"]
                    .as_object_mut()
                    .unwrap()
                    .remove("provisioner");
            },
            resource: PLACEMENT_GROUP,
            message: "labels.provisioner: terraform -> (absent)",
        },
        Case {
            edit: |c| {
                object(c, "ssh_keys", 4001)["fingerprint"] =
                    "0c:1f:9a:33:4e:50:6b:72:88:91:a2:b3:c4:d5:e6:f7".into();
            },
            resource: SSH_KEY,
            message: "fingerprint: b7:2f:4a:10:22:9d:5e:61:00:aa:3c:7e:91:0d:42:ee -> 0c:1f:9a:33:4e:50:6b:72:88:91:a2:b3:c4:d5:e6:f7",
        },
        Case {
            edit: |c| object(c, "primary_ips", 8001)["labels"]["team"] = "ops".into(),
            resource: PRIMARY_IP,
            message: "labels.team: (absent) -> ops",
        },
        Case {
            edit: |c| object(c, "primary_ips", 8001)["ip"] = "49.12.1.31".into(),
            resource: PRIMARY_IP,
            message: "ip_address: 49.12.1.30 -> 49.12.1.31",
        },
        Case {
            edit: |c| object(c, "floating_ips", 9001)["labels"]["cluster"] = "prod-old".into(),
            resource: FLOATING_IP,
            message: "labels.cluster: prod -> prod-old",
        },
        Case {
            edit: |c| object(c, "floating_ips", 9001)["home_location"] = shapes::location("fsn1"),
            resource: FLOATING_IP,
            message: "home_location: nbg1 -> fsn1",
        },
    ];
    let dir = tempfile::tempdir().unwrap();
    for case in cases {
        let api = HcloudServer::start(TOKEN);
        let mut cloud = matching_cloud();
        (case.edit)(&mut cloud);
        seed(&api, &cloud);
        let output = drift(
            &api,
            TOKEN,
            &["--label-selector", "cluster=prod"],
            dir.path(),
        );
        let expected_code = Some(0);
        assert_eq!(
            output.status.code(),
            expected_code,
            "drift/changed is medium, under the default fail-on; {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let found: Vec<_> = findings(&output)
            .into_iter()
            .filter(|f| f.0 != "drift/unmanaged")
            .collect();
        assert_eq!(
            found,
            [finding(
                "drift/changed",
                case.resource,
                &format!("changed outside Terraform: {}", case.message)
            )],
            "case {}",
            case.message
        );
    }
}

#[test]
fn every_type_deleted_from_the_cloud_is_reported_missing() {
    // (collection, id deleted, [(resource, how it was found)])
    type Case<'a> = (&'a str, u64, &'a [(&'a str, &'a str)]);
    let cases: [Case; 10] = [
        (
            "servers",
            5002,
            &[(AGENT, "hcloud_server id 5002 is not in GET /servers")],
        ),
        (
            "networks",
            2001,
            &[
                (NETWORK, "hcloud_network id 2001 is not in GET /networks"),
                (
                    SUBNET,
                    "hcloud_network_subnet id 2001-10.255.0.0/16 is not in GET /networks",
                ),
            ],
        ),
        (
            "firewalls",
            1001,
            &[(FIREWALL, "hcloud_firewall id 1001 is not in GET /firewalls")],
        ),
        (
            "load_balancers",
            6001,
            &[(
                LOAD_BALANCER,
                "hcloud_load_balancer id 6001 is not in GET /load_balancers",
            )],
        ),
        (
            "volumes",
            7001,
            &[(VOLUME, "hcloud_volume id 7001 is not in GET /volumes")],
        ),
        (
            "placement_groups",
            3001,
            &[(
                PLACEMENT_GROUP,
                "hcloud_placement_group id 3001 is not in GET /placement_groups",
            )],
        ),
        (
            "ssh_keys",
            4001,
            &[(SSH_KEY, "hcloud_ssh_key id 4001 is not in GET /ssh_keys")],
        ),
        (
            "primary_ips",
            8001,
            &[(
                PRIMARY_IP,
                "hcloud_primary_ip id 8001 is not in GET /primary_ips",
            )],
        ),
        (
            "floating_ips",
            9001,
            &[(
                FLOATING_IP,
                "hcloud_floating_ip id 9001 is not in GET /floating_ips",
            )],
        ),
        // A subnet's range is its identity (`NETWORK_ID-IP_RANGE`): one
        // replaced by hand is a missing subnet, whatever took its place.
        (
            "subnets",
            2001,
            &[(
                SUBNET,
                "hcloud_network_subnet id 2001-10.255.0.0/16 is not in GET /networks",
            )],
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (collection, id, expected) in cases {
        let api = HcloudServer::start(TOKEN);
        let mut cloud = matching_cloud();
        if collection == "subnets" {
            object(&mut cloud, "networks", id)["subnets"] =
                json!([shapes::subnet("10.254.0.0/16", "10.0.0.1")]);
        } else {
            remove(&mut cloud, collection, id);
        }
        seed(&api, &cloud);
        let output = drift(&api, TOKEN, &[], dir.path());
        assert_eq!(
            output.status.code(),
            Some(1),
            "drift/missing is high; {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut wanted: Vec<_> = expected
            .iter()
            .map(|(resource, detail)| {
                finding(
                    "drift/missing",
                    resource,
                    &format!("gone from the cloud: {detail}"),
                )
            })
            .collect();
        wanted.sort();
        assert_eq!(findings(&output), wanted, "{collection} {id}");
    }
}

#[test]
fn missing_changed_and_unmanaged_resources_are_reported_across_pages() {
    let api = HcloudServer::start(TOKEN);
    let mut cloud = matching_cloud();
    // The agent is gone, the control plane was resized and relabelled by hand,
    // an orphan carries the cluster's labels, another project's server does not.
    cloud.insert(
        "servers",
        vec![
            server(
                5001,
                "prod-control-plane-nbg1-abc",
                "cx32",
                json!({"cluster": "prod", "provisioner": "terraform", "engine": "k3s", "role": "debug"}),
            ),
            server(5003, "prod-agent-orphan", "cx22", labels(Some("agent"))),
            server(5004, "staging-agent", "cx22", json!({"cluster": "staging"})),
        ],
    );
    seed(&api, &cloud);
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
        finding(
            "drift/changed",
            CONTROL_PLANE,
            "changed outside Terraform: server_type: cx22 -> cx32; labels.role: control_plane -> debug",
        ),
        finding(
            "drift/missing",
            AGENT,
            "gone from the cloud: hcloud_server id 5002 is not in GET /servers",
        ),
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
    assert_eq!(
        requests
            .iter()
            .filter(|r| *r == "/v1/networks?page=1&per_page=50")
            .count(),
        1,
        "networks and subnets share one listing: {requests:?}"
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
        "[drift.ignore]\nhcloud_server = [\"labels\"]\n",
    )
    .unwrap();
    let output = drift(&api, TOKEN, &[], dir.path());
    let messages: Vec<String> = findings(&output)
        .into_iter()
        .filter(|f| f.0 == "drift/changed")
        .map(|f| f.2)
        .collect();
    assert_eq!(
        messages,
        ["changed outside Terraform: server_type: cx22 -> cx32"]
    );
}

#[test]
fn without_a_selector_the_cluster_labels_come_from_the_managed_servers() {
    let api = HcloudServer::start(TOKEN);
    let mut cloud = matching_cloud();
    cloud.get_mut("servers").unwrap().push(server(
        5003,
        "prod-agent-orphan",
        "cx22",
        labels(Some("agent")),
    ));
    cloud.get_mut("volumes").unwrap().push(shapes::volume(
        7002,
        "pvc-orphan",
        10,
        labels(None),
        None,
    ));
    // Labelled for another cluster, or missing one of the shared labels: not ours.
    cloud.get_mut("servers").unwrap().push(server(
        5004,
        "prod-agent-by-hand",
        "cx22",
        json!({"cluster": "prod", "role": "agent"}),
    ));
    seed(&api, &cloud);
    let dir = tempfile::tempdir().unwrap();
    let output = drift(&api, TOKEN, &[], dir.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let selector = "cluster=prod,engine=k3s,provisioner=terraform";
    assert_eq!(
        findings(&output),
        [
            ("drift/unmanaged".to_owned(), "hcloud:servers/5003".to_owned(),
             format!("hcloud_server `prod-agent-orphan` (id 5003) matches label selector `{selector}` but no audited state manages it")),
            ("drift/unmanaged".to_owned(), "hcloud:volumes/7002".to_owned(),
             format!("hcloud_volume `pvc-orphan` (id 7002) matches label selector `{selector}` but no audited state manages it")),
        ]
    );
    assert_eq!(
        report(&output)["summary"]["unmanaged_selector"],
        format!("{selector} (shared by the managed servers)")
    );
}

#[test]
fn label_selectors_use_the_documented_syntax() {
    let api = HcloudServer::start(TOKEN);
    let mut cloud = matching_cloud();
    let servers = cloud.get_mut("servers").unwrap();
    servers.push(server(5003, "orphan-agent", "cx22", labels(Some("agent"))));
    servers.push(server(5004, "orphan-lb", "cx22", labels(Some("lb"))));
    servers.push(server(5005, "orphan-unlabelled", "cx22", labels(None)));
    seed(&api, &cloud);
    let dir = tempfile::tempdir().unwrap();
    let unmanaged = |selector: &str| -> Vec<String> {
        let output = drift(&api, TOKEN, &["--label-selector", selector], dir.path());
        assert_eq!(
            output.status.code(),
            Some(0),
            "{selector}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        findings(&output).into_iter().map(|f| f.1).collect()
    };
    let all = [
        "hcloud:servers/5003",
        "hcloud:servers/5004",
        "hcloud:servers/5005",
    ];
    assert_eq!(unmanaged("cluster==prod,role in (agent,lb)"), all[..2]);
    assert_eq!(unmanaged("cluster=prod,role notin (agent,lb)"), all[2..]);
    assert_eq!(unmanaged("cluster=prod,!role"), all[2..]);
    assert_eq!(unmanaged("cluster=prod,role,role!=agent"), all[1..2]);

    // The stand-in refuses what the API refuses, and tfaudit says so.
    let output = drift(
        &api,
        TOKEN,
        &["--label-selector", "role in (agent"],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("HTTP 400 invalid_input: invalid label_selector"),
        "{stderr}"
    );
}

#[test]
fn a_listing_past_the_page_bound_is_an_error_not_a_partial_list() {
    let api = HcloudServer::start(TOKEN);
    seed(&api, &matching_cloud());
    api.endless_pages();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = tfaudit::hcloud::Client::new(
        &api.endpoint(),
        TOKEN.into(),
        tfaudit::hcloud::ClientOptions {
            max_pages: 3,
            ..Default::default()
        },
    )
    .unwrap();
    let error = runtime
        .block_on(client.list("servers", None))
        .expect_err("an endless listing must fail");
    assert_eq!(
        error.to_string(),
        "GET /servers: more than 3 pages (meta.pagination.next_page = 4); stopped rather than compare a partial list"
    );
    assert_eq!(api.requests().len(), 3);
}

#[test]
fn a_far_rate_limit_reset_is_waited_for_no_longer_than_the_bound() {
    let api = HcloudServer::start(TOKEN);
    seed(&api, &matching_cloud());
    // The reset an hour ahead is capped at max_wait, and the retry succeeds.
    api.rate_limit_next(1, 3600);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = tfaudit::hcloud::Client::new(
        &api.endpoint(),
        TOKEN.into(),
        tfaudit::hcloud::ClientOptions {
            max_wait: std::time::Duration::from_millis(200),
            ..Default::default()
        },
    )
    .unwrap();
    let started = std::time::Instant::now();
    let servers = runtime.block_on(client.list("servers", None)).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(servers.len(), 2);
    assert_eq!(api.requests().len(), 2);
}

#[test]
fn an_answer_not_in_the_documented_shape_is_a_clear_error() {
    let api = HcloudServer::start(TOKEN);
    let mut cloud = matching_cloud();
    object(&mut cloud, "volumes", 7001)
        .as_object_mut()
        .unwrap()
        .remove("size");
    seed(&api, &cloud);
    let dir = tempfile::tempdir().unwrap();
    let output = drift(&api, TOKEN, &[], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("GET /volumes?page=1: the answer is not a documented list of volumes: missing field `size`"),
        "{stderr}"
    );
}

#[test]
fn rate_limits_are_waited_out_and_give_up_after_a_bound() {
    let api = HcloudServer::start(TOKEN);
    seed(&api, &matching_cloud());
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
            .filter(|r| *r == "/v1/firewalls?page=1&per_page=50")
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
    seed(&api, &matching_cloud());
    let wrong = "wrong-token-7d3f9a1c5e8b2d6f0a4c8e1b5d9f3a7c";
    let dir = tempfile::tempdir().unwrap();
    let output = drift(&api, wrong, &["--log", "trace"], dir.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "rejected the token (HCLOUD_TOKEN) with 401 unauthorized: unable to authenticate"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(wrong) && !String::from_utf8_lossy(&output.stdout).contains(wrong));
}

#[test]
fn live_and_refresh_plan_sources_combine_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let plan = data("refresh-plan.json").display().to_string();
    let state = cluster_state().display().to_string();
    let token = [("HCLOUD_TOKEN".to_owned(), TOKEN.to_owned())];

    // Nothing to compare with.
    let output = tfaudit(&["drift", "--state", &state], &[], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("give --refresh-plan PLAN_JSON, or set HCLOUD_TOKEN"));

    // A token in the environment does not stop a plan-only run.
    let plan_only = tfaudit(
        &["drift", "--refresh-plan", &plan, "--format", "json"],
        &[],
        dir.path(),
    );
    let with_token = tfaudit(
        &["drift", "--refresh-plan", &plan, "--format", "json"],
        &token,
        dir.path(),
    );
    assert_eq!(
        with_token.status.code(),
        plan_only.status.code(),
        "{}",
        String::from_utf8_lossy(&with_token.stderr)
    );
    assert!(!findings(&plan_only).is_empty());
    assert_eq!(findings(&with_token), findings(&plan_only));
    assert_eq!(
        report(&with_token)["summary"]["live"],
        "not run: no --state given"
    );

    // A state without a token is not silently ignored.
    let output = tfaudit(
        &[
            "drift",
            "--refresh-plan",
            &plan,
            "--state",
            &state,
            "--format",
            "json",
        ],
        &[],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "HCLOUD_TOKEN is not set: the live check of --state {state} is skipped"
        )),
        "{stderr}"
    );
    assert_eq!(
        report(&output)["summary"]["live"],
        "skipped: HCLOUD_TOKEN is not set"
    );
    assert_eq!(findings(&output), findings(&plan_only));

    let help = tfaudit(&["drift", "--help"], &[], dir.path());
    let help = String::from_utf8_lossy(&help.stdout);
    for documented in [
        "the live check is skipped",
        "the selector is the labels every hcloud_server",
        "more than 1000 pages for one type is an error",
    ] {
        assert!(help.contains(documented), "{documented}: {help}");
    }
}

#[tokio::test]
async fn states_are_read_from_s3() {
    let s3 = S3Server::start();
    s3.client()
        .await
        .put_object()
        .bucket(s3.bucket())
        .key("prod/cluster.tfstate")
        .body(std::fs::read(cluster_state()).unwrap().into())
        .send()
        .await
        .expect("seed the state");
    let api = HcloudServer::start(TOKEN);
    let mut cloud = matching_cloud();
    object(&mut cloud, "volumes", 7001)["size"] = 80.into();
    remove(&mut cloud, "floating_ips", 9001);
    seed(&api, &cloud);

    let target = format!("s3://{}/prod/cluster.tfstate", s3.bucket());
    let endpoint = api.endpoint();
    let mut env = s3.env();
    env.push(("HCLOUD_TOKEN".into(), TOKEN.into()));
    let dir = tempfile::tempdir().unwrap();
    let output = tokio::task::spawn_blocking({
        let target = target.clone();
        let cwd = dir.path().to_owned();
        move || {
            tfaudit(
                &[
                    "drift",
                    "--state",
                    &target,
                    "--hcloud-endpoint",
                    &endpoint,
                    "--format",
                    "json",
                ],
                &env,
                &cwd,
            )
        }
    })
    .await
    .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let in_bucket = |resource: &str| format!("{target}#{resource}");
    assert_eq!(
        findings(&output),
        [
            (
                "drift/changed".to_owned(),
                in_bucket(VOLUME),
                "changed outside Terraform: size: 50 -> 80".to_owned()
            ),
            (
                "drift/missing".to_owned(),
                in_bucket(FLOATING_IP),
                "gone from the cloud: hcloud_floating_ip id 9001 is not in GET /floating_ips"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(report(&output)["summary"]["states"], 1);
}
