//! `tfaudit state --guardrail-store` against a real S3 server (moto): a store
//! written through guardrail-core, then tampered with the way somebody with
//! bucket write access could, each time audited by the real binary.

use guardrail_core::store::ObjectStore;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use chrono::Utc;
use guardrail_core::attestation::{self, SpentRecord};
use guardrail_core::audit_record::{self, chained_key, AuditRecord};
use guardrail_core::lock::{lock_key, LockRecord, LockRequest, Locks, ReleaseOutcome};
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::{tools, S3Server};
use serde_json::Value;

const PREFIX: &str = "guardrail/";

/// A store with a trail for `production` (gate decisions, a spent attestation,
/// a lock acquired, released and taken over) and one for `staging`.
struct Seeded {
    server: S3Server,
    store: Store,
    /// The key of the record that spent plan-spent's attestation.
    spent_record: String,
    /// The live lock of production (generation 2).
    live_lock: LockRecord,
}

impl Seeded {
    fn url(&self) -> String {
        format!("s3://{}/{PREFIX}", self.server.bucket())
    }

    fn address(&self, key: &str) -> String {
        format!("{}{key}", self.url())
    }

    fn tfaudit(&self, extra: &[&str]) -> Output {
        let url = self.url();
        let mut args = vec![
            "state",
            "--guardrail-store",
            url.as_str(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        tfaudit(&self.server, &args)
    }

    async fn delete(&self, key: &str) {
        self.server
            .client()
            .await
            .delete_object()
            .bucket(self.server.bucket())
            .key(format!("{PREFIX}{key}"))
            .send()
            .await
            .unwrap_or_else(|error| panic!("delete {key}: {error:?}"));
    }

    async fn put_lock(&self, environment: &str, lock: &LockRecord) {
        self.store
            .put(
                &lock_key(environment),
                serde_json::to_vec_pretty(lock).unwrap(),
            )
            .await
            .unwrap();
    }

    /// Every object of the bucket with its ETag.
    async fn listing(&self) -> BTreeMap<String, String> {
        let output = self
            .server
            .client()
            .await
            .list_objects_v2()
            .bucket(self.server.bucket())
            .send()
            .await
            .unwrap();
        output
            .contents()
            .iter()
            .map(|o| {
                (
                    o.key().unwrap_or_default().to_owned(),
                    o.e_tag().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }
}

fn tfaudit(server: &S3Server, args: &[&str]) -> Output {
    Command::new(tools::tfaudit_bin())
        .args(args)
        .envs(server.env())
        .output()
        .expect("run tfaudit")
}

async fn store_on(server: &S3Server) -> Store {
    static ONCE: std::sync::Once = std::sync::Once::new();
    let env = server.env();
    ONCE.call_once(|| {
        for (key, value) in env {
            if key.starts_with("AWS_ACCESS") || key.starts_with("AWS_SECRET") {
                std::env::set_var(key, value);
            }
        }
    });
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(server.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .expect("connect to the local S3 server")
}

fn gate(environment: &str, plan_id: &str) -> AuditRecord {
    AuditRecord {
        environment: environment.into(),
        plan_id: plan_id.into(),
        decision: "allowed".into(),
        who: "ci".into(),
        at: Utc::now(),
        action: "gate".into(),
        ..Default::default()
    }
}

async fn chain_lock(store: &Store, action: &str, lock: &LockRecord) {
    audit_record::write(
        store,
        &AuditRecord {
            environment: lock.environment.clone(),
            decision: action.into(),
            who: lock.owner.clone(),
            at: Utc::now(),
            action: action.into(),
            lock_generation: Some(lock.generation),
            lock: Some(lock.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn acquire(store: &Store, action: &str) -> LockRecord {
    let request = LockRequest {
        environment: "production".into(),
        owner: "alice".into(),
        reason: "maintenance".into(),
        expires_at: None,
        ..Default::default()
    };
    let lock = Locks::new(store)
        .acquire(&request, Utc::now())
        .await
        .unwrap();
    chain_lock(store, action, &lock).await;
    lock
}

async fn seeded() -> Seeded {
    let server = S3Server::start();
    let store = store_on(&server).await;
    audit_record::write(
        &store,
        &AuditRecord {
            decision: "denied".into(),
            ..gate("production", "plan-denied")
        },
    )
    .await
    .unwrap();
    let spent = SpentRecord {
        environment: "production".into(),
        plan_id: "plan-spent".into(),
        who: "ci".into(),
        at: Utc::now(),
    };
    attestation::spend(&store, &spent).await.unwrap();
    let spent_record = audit_record::write(
        &store,
        &AuditRecord {
            attestation_spent: true,
            ..gate("production", "plan-spent")
        },
    )
    .await
    .unwrap();
    let first = acquire(&store, "lock-acquire").await;
    let locks = Locks::new(&store);
    assert!(matches!(
        locks
            .release("production", &first.lock_id, Utc::now())
            .await
            .unwrap(),
        ReleaseOutcome::Released(_)
    ));
    let (released, _) = locks.read("production").await.unwrap().unwrap();
    chain_lock(&store, "lock-release", &released).await;
    let live_lock = acquire(&store, "lock-takeover").await;
    audit_record::write(&store, &gate("production", "plan-last"))
        .await
        .unwrap();
    audit_record::write(&store, &gate("staging", "plan-staging"))
        .await
        .unwrap();
    Seeded {
        server,
        store,
        spent_record,
        live_lock,
    }
}

fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}); exit {:?}; stderr: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// (rule, severity, address) of every finding, and the messages.
fn findings(output: &Output) -> (Vec<(String, String, String)>, Vec<String>) {
    let report = report(output);
    let findings = report["findings"].as_array().unwrap();
    let keyed = findings
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let messages = findings
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_owned())
        .collect();
    (keyed, messages)
}

fn critical(rule: &str, address: String) -> Vec<(String, String, String)> {
    vec![(rule.to_owned(), "critical".to_owned(), address)]
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untampered_store_passes_and_is_left_untouched() {
    let seeded = seeded().await;
    let before = seeded.listing().await;
    let output = seeded.tfaudit(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let full = report(&output);
    assert_eq!(full["findings"], Value::Array(vec![]), "{full}");
    assert_eq!(full["summary"]["trail_environments"], 2);
    assert_eq!(full["summary"]["trail_records"], 7);

    let output = seeded.tfaudit(&["--environment", "staging"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(report(&output)["summary"]["trail_records"], 1);
    assert_eq!(seeded.listing().await, before, "the audit only reads");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_record_is_critical() {
    let seeded = seeded().await;
    let key = chained_key("production", 2);
    let body = seeded.store.get(&key).await.unwrap().unwrap().body;
    let edited = String::from_utf8(body)
        .unwrap()
        .replace("\"allowed\"", "\"denied\"");
    seeded.store.put(&key, edited.into_bytes()).await.unwrap();

    let state = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/states/cluster.tfstate");
    let output = seeded.tfaudit(&[state.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (found, messages) = findings(&output);
    let trail: Vec<_> = found
        .into_iter()
        .filter(|(rule, _, _)| rule.starts_with("trail/"))
        .collect();
    assert_eq!(trail, critical("trail/edited", seeded.address(&key)));
    assert!(
        messages
            .iter()
            .any(|m| m.contains("audit record 2 was changed after it was written")),
        "{messages:?}"
    );
    assert_eq!(
        report(&output)["summary"]["states"],
        1,
        "states audited too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_record_is_a_critical_gap() {
    let seeded = seeded().await;
    let key = chained_key("production", 3);
    seeded.delete(&key).await;
    let output = seeded.tfaudit(&["--environment", "production"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (found, messages) = findings(&output);
    assert_eq!(found, critical("trail/gap", seeded.address(&key)));
    assert!(
        messages[0].contains("audit record 3 is missing"),
        "{messages:?}"
    );

    // The text report names the rule, the object and what happened.
    let url = seeded.url();
    let output = tfaudit(&seeded.server, &["state", "--guardrail-store", &url]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    for needle in ["trail/gap", &seeded.address(&key), "it was removed"] {
        assert!(text.contains(needle), "`{needle}` in {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_spent_marker_is_critical() {
    let seeded = seeded().await;
    let marker = attestation::spent_key("production", "plan-spent");
    seeded.delete(&marker).await;
    let output = seeded.tfaudit(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (found, messages) = findings(&output);
    assert_eq!(
        found,
        critical(
            "trail/spent-marker-missing",
            seeded.address(&seeded.spent_record)
        )
    );
    assert!(messages[0].contains(&marker), "{messages:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planted_freeze_is_critical() {
    let seeded = seeded().await;
    let planted = LockRecord {
        environment: "staging".into(),
        lock_id: "4b1d".into(),
        owner: "mallory".into(),
        reason: "freeze".into(),
        acquired_at: Utc::now(),
        expires_at: None,
        generation: 1,
        released_at: None,
        ..Default::default()
    };
    seeded.put_lock("staging", &planted).await;
    let output = seeded.tfaudit(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (found, messages) = findings(&output);
    assert_eq!(
        found,
        critical(
            "trail/lock-unrecorded",
            seeded.address(&lock_key("staging"))
        )
    );
    assert!(
        messages[0].contains("live lock 4b1d") && messages[0].contains("planted or forged"),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_release_is_critical() {
    let seeded = seeded().await;
    let forged = LockRecord {
        released_at: Some(Utc::now()),
        ..seeded.live_lock.clone()
    };
    seeded.put_lock("production", &forged).await;
    let output = seeded.tfaudit(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (found, messages) = findings(&output);
    assert_eq!(
        found,
        critical(
            "trail/release-unrecorded",
            seeded.address(&lock_key("production"))
        )
    );
    assert!(
        messages[0].contains("the release was forged"),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_lock_written_back_is_critical() {
    let seeded = seeded().await;
    let earlier = audit_record::list(&seeded.store, "production")
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.action == "lock-release")
        .and_then(|r| r.lock)
        .unwrap();
    seeded.put_lock("production", &earlier).await;
    let output = seeded.tfaudit(&[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let (found, _) = findings(&output);
    assert_eq!(
        found,
        critical(
            "trail/lock-rolled-back",
            seeded.address(&lock_key("production"))
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn records_from_before_the_chain_are_low() {
    let seeded = seeded().await;
    let key = "audit/staging/20260101T100000.000000Z-plan-old.json";
    let legacy = AuditRecord {
        at: Utc::now() - chrono::Duration::days(90),
        ..gate("staging", "plan-old")
    };
    seeded
        .store
        .put(key, serde_json::to_vec_pretty(&legacy).unwrap())
        .await
        .unwrap();
    let output = seeded.tfaudit(&[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (found, _) = findings(&output);
    assert_eq!(
        found,
        vec![(
            "trail/unchained".to_owned(),
            "low".to_owned(),
            seeded.address(key)
        )]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_name_the_option() {
    let server = S3Server::start();
    let bucket = format!("s3://{}/", server.bucket());

    let output = tfaudit(&server, &["state", "--environment", "production"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--guardrail-store"),
        "{}",
        stderr(&output)
    );

    let output = tfaudit(&server, &["state", "--guardrail-store", "https://x/"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--guardrail-store `https://x/`: not an s3:// URL"),
        "{}",
        stderr(&output)
    );

    let output = tfaudit(
        &server,
        &[
            "state",
            "--guardrail-store",
            &bucket,
            "--environment",
            "Prod",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--environment: invalid environment name"));

    // An empty store is most likely the wrong bucket or prefix.
    let output = tfaudit(&server, &["state", "--guardrail-store", &bucket]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no audit trail and no lock object found"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn trail_rules_are_listed_and_configurable() {
    let output = Command::new(tools::tfaudit_bin())
        .args(["rules", "--json"])
        .output()
        .expect("run tfaudit rules");
    let rules: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    for id in [
        "trail/gap",
        "trail/edited",
        "trail/unparsable",
        "trail/spent-marker-missing",
        "trail/lock-unrecorded",
        "trail/release-unrecorded",
        "trail/lock-rolled-back",
        "trail/head-mismatch",
        "trail/unchained",
    ] {
        assert_eq!(
            ids.iter().filter(|listed| **listed == id).count(),
            1,
            "{id}"
        );
    }

    // A team that wants every unchained record looked at raises its severity.
    let seeded = seeded().await;
    let key = "audit/production/20260101T100000.000000Z-plan-old.json";
    seeded
        .store
        .put(
            key,
            serde_json::to_vec(&gate("production", "plan-old")).unwrap(),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tfaudit.toml");
    std::fs::write(&config, "[severity]\n\"trail/unchained\" = \"high\"\n").unwrap();
    let output = seeded.tfaudit(&["--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        findings(&output).0,
        vec![(
            "trail/unchained".to_owned(),
            "high".to_owned(),
            seeded.address(key)
        )]
    );
}
