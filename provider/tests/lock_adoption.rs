//! An apply killed while its lock PUT is in flight, through real Terraform: the
//! provider ends within seconds of Terraform's death, after writing the lock and
//! its audit record; the re-run of the same configuration adopts that lock. A lock
//! held by anyone else fails with the commands that unstick it, and the release
//! they name keeps the fencing generation growing.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{assert_mentions, block_on, flat, state_list, REQUIRED_PROVIDERS};
use guardrail_testkit::header_proxy::HeaderProxy;
use guardrail_testkit::{tools, S3Server, TerraformDir};

const LOCK_PUT: &str = "/guardrail/locks/staging.json";

fn lock(owner: &str, reason: &str) -> String {
    format!(
        r#"resource "guardrail_environment_lock" "freeze" {{
  environment = "staging"
  reason      = "{reason}"
  owner       = "{owner}"
  ttl         = "1h"
}}
"#
    )
}

/// A working directory whose provider talks to the store at `endpoint`.
fn workdir_at(server: &S3Server, endpoint: &str, body: &str) -> TerraformDir {
    let dir = TerraformDir::new().with_s3(server);
    dir.write(
        "main.tf",
        &format!(
            r#"{REQUIRED_PROVIDERS}
provider "guardrail" {{
  environment = "staging"
  store {{
    bucket   = "{bucket}"
    endpoint = "{endpoint}"
  }}
}}

{body}"#,
            bucket = server.bucket(),
        ),
    );
    dir.init().assert_success();
    dir
}

fn apply(dir: &TerraformDir) -> guardrail_testkit::TfOutput {
    dir.run(&["apply", "-auto-approve", "-input=false"])
}

fn lock_record(server: &S3Server) -> serde_json::Value {
    block_on(async {
        let body = server
            .get("guardrail/locks/staging.json")
            .await
            .expect("the lock record exists");
        serde_json::from_slice(&body).expect("the lock record is JSON")
    })
}

/// The audit records of lock operations, oldest first by key.
fn lock_audit(server: &S3Server) -> Vec<serde_json::Value> {
    block_on(async {
        let mut records = Vec::new();
        for key in server.keys().await {
            if key.starts_with("guardrail/audit/staging/") {
                let body = server.get(&key).await.unwrap_or_default();
                let record: serde_json::Value = serde_json::from_slice(&body).unwrap();
                if record["action"].as_str().unwrap_or("").starts_with("lock-") {
                    records.push(record);
                }
            }
        }
        records
    })
}

fn actions(records: &[serde_json::Value]) -> Vec<String> {
    records
        .iter()
        .map(|record| record["action"].as_str().unwrap_or("").to_string())
        .collect()
}

/// `/proc/<pid>/stat`: (parent pid, state), `None` when the process is gone.
fn stat(pid: u32) -> Option<(u32, char)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &text[text.rfind(')')? + 2..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some((parent, state))
}

fn alive(pid: u32) -> bool {
    matches!(stat(pid), Some((_, state)) if state != 'Z' && state != 'X')
}

/// Live descendants of `root` running the guardrail provider.
fn provider_processes(root: u32) -> Vec<u32> {
    let mut family = vec![root];
    let mut providers = Vec::new();
    let mut grew = true;
    while grew {
        grew = false;
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if family.contains(&pid) {
                continue;
            }
            if let Some((parent, _)) = stat(pid) {
                if family.contains(&parent) {
                    family.push(pid);
                    grew = true;
                    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                    if String::from_utf8_lossy(&cmdline).contains("terraform-provider-guardrail")
                        && alive(pid)
                    {
                        providers.push(pid);
                    }
                }
            }
        }
    }
    providers
}

/// Waits until every process in `pids` is gone; returns how long that took, or
/// kills the survivors and returns `None` after `limit`.
fn gone_within(pids: &[u32], limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if pids.iter().all(|pid| !alive(*pid)) {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in pids.iter().filter(|pid| alive(**pid)) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    None
}

/// Starts `terraform apply`, waits for the proxy to receive `method` on `path`,
/// SIGKILLs Terraform there and returns the provider processes it left.
fn kill_terraform_at(
    dir: &TerraformDir,
    proxy: &HeaderProxy,
    method: &str,
    path: &str,
) -> Vec<u32> {
    let mut terraform = dir.spawn(&["apply", "-auto-approve", "-input=false"]);
    assert!(
        proxy.wait_for(method, path, Duration::from_secs(120)),
        "terraform never sent {method} {path}: {:?}",
        proxy.requests()
    );
    let providers = provider_processes(terraform.id());
    assert!(
        !providers.is_empty(),
        "no provider process under terraform {}",
        terraform.id()
    );
    terraform.kill().expect("SIGKILL terraform");
    let _ = terraform.wait();
    providers
}

#[test]
fn an_apply_killed_while_the_lock_put_is_in_flight_is_adopted_by_its_rerun() {
    let server = S3Server::start();
    let proxy = HeaderProxy::start(&server);
    let dir = workdir_at(
        &server,
        &proxy.endpoint(),
        &lock("alice", "database migration"),
    );

    proxy.delay("PUT", LOCK_PUT, Duration::from_secs(3));
    let providers = kill_terraform_at(&dir, &proxy, "PUT", LOCK_PUT);
    let took = gone_within(&providers, Duration::from_secs(30));
    assert!(
        took.is_some_and(|took| took < Duration::from_secs(8)),
        "the provider outlived Terraform by {took:?} (killed after 30 s)"
    );

    // The PUT landed: a live lock that no state holds, with its audit record.
    let left = lock_record(&server);
    assert_eq!(left["owner"], "alice", "{left}");
    assert!(left["released_at"].is_null(), "{left}");
    assert_eq!(left["generation"], 1, "{left}");
    assert!(
        state_list(&dir).is_empty(),
        "the kill left state: {:?}",
        state_list(&dir)
    );
    let audit = lock_audit(&server);
    assert_eq!(actions(&audit), ["lock-acquire"], "{audit:?}");
    assert_eq!(audit[0]["lock"]["lock_id"], left["lock_id"]);

    // The re-run of the same configuration adopts it: same lock, same generation.
    proxy.clear_delays();
    let rerun = apply(&dir);
    rerun.assert_success();
    assert_mentions(
        &rerun,
        &[
            "Adopted a lock left by an interrupted apply",
            "generation 1",
        ],
    );
    let shown = dir.run(&[
        "state",
        "show",
        "-no-color",
        "guardrail_environment_lock.freeze",
    ]);
    assert_mentions(&shown, &[left["lock_id"].as_str().unwrap()]);
    let adopted = lock_record(&server);
    assert_eq!(adopted, left, "adoption writes nothing to the lock");
    let audit = lock_audit(&server);
    assert_eq!(actions(&audit), ["lock-acquire", "lock-adopt"], "{audit:?}");
    assert_eq!(audit[1]["lock_generation"], 1);

    // It is this configuration's lock now: destroy releases it.
    dir.run(&["destroy", "-auto-approve", "-input=false"])
        .assert_success();
    assert!(lock_record(&server)["released_at"].is_string());
    assert_eq!(
        actions(&lock_audit(&server)),
        ["lock-acquire", "lock-adopt", "lock-release"]
    );
}

#[test]
fn the_provider_ends_within_seconds_of_terraform_being_killed() {
    let server = S3Server::start();
    let proxy = HeaderProxy::start(&server);
    let dir = workdir_at(
        &server,
        &proxy.endpoint(),
        &lock("alice", "database migration"),
    );
    // Hold the provider in `configure` (its store probe) long after Terraform dies.
    proxy.delay("PUT", "/probe/", Duration::from_secs(60));
    let providers = kill_terraform_at(&dir, &proxy, "PUT", "/probe/");
    let took = gone_within(&providers, Duration::from_secs(30));
    assert!(
        took.is_some_and(|took| took < Duration::from_secs(3)),
        "the provider outlived Terraform by {took:?} (killed after 30 s)"
    );
    proxy.clear_delays();
    assert!(
        block_on(server.get("guardrail/locks/staging.json")).is_none(),
        "no lock is written after Terraform is gone"
    );
}

#[test]
fn a_lock_held_by_anyone_else_names_the_commands_that_unstick_it() {
    let server = S3Server::start();
    let endpoint = server.endpoint();
    let first = workdir_at(&server, &endpoint, &lock("alice", "database migration"));
    apply(&first).assert_success();

    let store_flags = format!(
        "--store s3://{}/guardrail/ --endpoint {endpoint}",
        server.bucket()
    );
    let release = format!("tfaudit lock release --environment staging {store_flags} --reason");
    // Another owner; the same owner with another reason; and the very same
    // configuration in another working directory: none of them adopts alice's lock.
    let mut refusals = Vec::new();
    for (owner, reason, why) in [
        (
            "bob",
            "database migration",
            "this configuration asks for owner bob",
        ),
        (
            "alice",
            "schema change",
            "same owner but was taken by another configuration",
        ),
        (
            "alice",
            "database migration",
            "same owner but was taken by another configuration",
        ),
    ] {
        let other = workdir_at(&server, &endpoint, &lock(owner, reason));
        let refused = apply(&other);
        refused.assert_failure();
        assert_mentions(
            &refused,
            &[
                "Environment is locked",
                "held by alice (database migration)",
                "generation 1",
                why,
                &release,
                "terraform import guardrail_environment_lock.NAME staging",
                &format!("tfaudit lock status --environment staging {store_flags}"),
            ],
        );
        assert!(state_list(&other).is_empty());
        refusals.push(flat(&refused));
    }
    assert_eq!(actions(&lock_audit(&server)), ["lock-acquire"]);

    // The command the error names releases the lock; bob's apply then gets the
    // next generation (the record was kept, not deleted).
    let text = &refusals[0];
    let start = text
        .find("tfaudit lock release")
        .expect("the release command is named");
    let named: Vec<&str> = text[start..].split_whitespace().take(9).collect();
    assert_eq!(named[7], "--endpoint", "{text}");
    let released = Command::new(tools::tfaudit_bin())
        .args(&named[1..])
        .args([
            "--reason",
            "INC-7: alice's run was cancelled",
            "--ticket",
            "CHG-12",
        ])
        .envs(server.env())
        .env("GUARDRAIL_ACTOR", "oncall-carol")
        .output()
        .expect("run tfaudit");
    assert_eq!(
        released.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&released.stdout),
        String::from_utf8_lossy(&released.stderr)
    );
    let record = lock_record(&server);
    assert_eq!(record["released_by"], "oncall-carol", "{record}");
    assert_eq!(record["generation"], 1, "{record}");
    let bob = workdir_at(&server, &endpoint, &lock("bob", "database migration"));
    apply(&bob).assert_success();
    let record = lock_record(&server);
    assert_eq!(
        (record["owner"].as_str(), record["generation"].as_u64()),
        (Some("bob"), Some(2))
    );
    assert_eq!(
        actions(&lock_audit(&server)),
        ["lock-acquire", "lock-release", "lock-acquire"],
        "alice's acquisition, carol's release and bob's acquisition"
    );
}
