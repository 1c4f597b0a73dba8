//! The audit trail's hash chain against a real S3 server (moto): concurrent
//! writers, and every kind of tampering the verifier must name.

use chrono::{Duration, Utc};
use guardrail_core::attestation::{self, SpentRecord};
use guardrail_core::audit_record::{
    self, chained_key, head_key, verify_chain, AuditRecord, ChainProblem, ChainReport, Head,
};
use guardrail_core::lock::{lock_key, LockRecord, LockRequest, Locks, ReleaseOutcome};
use guardrail_core::store::ObjectStore;
use guardrail_core::store::{Store, StoreConfig};
use guardrail_testkit::S3Server;

const ENV: &str = "production";

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

async fn store_on(server: &S3Server) -> Store {
    use_server_credentials(server);
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(server.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .expect("connect to the local S3 server")
}

/// Removes an object behind the store's back, as somebody with bucket access could.
async fn delete(server: &S3Server, key: &str) {
    server
        .client()
        .await
        .delete_object()
        .bucket(server.bucket())
        .key(format!("{}{key}", StoreConfig::default().prefix))
        .send()
        .await
        .unwrap_or_else(|error| panic!("delete {key}: {error:?}"));
}

fn gate_record(plan_id: &str) -> AuditRecord {
    AuditRecord {
        environment: ENV.into(),
        plan_id: plan_id.into(),
        decision: "allowed".into(),
        who: "ci".into(),
        at: Utc::now(),
        action: "gate".into(),
        ..Default::default()
    }
}

async fn write_gates(store: &Store, count: usize) {
    for n in 1..=count {
        audit_record::write(store, &gate_record(&format!("plan-{n}")))
            .await
            .unwrap();
    }
}

/// Records a lock operation in the chain, as the lock's writers do.
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

async fn acquire_recorded(store: &Store, action: &str) -> LockRecord {
    let lock = Locks::new(store)
        .acquire(
            &LockRequest {
                environment: ENV.into(),
                owner: "alice".into(),
                reason: "maintenance".into(),
                expires_at: None,
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .unwrap();
    chain_lock(store, action, &lock).await;
    lock
}

async fn release_recorded(store: &Store, lock: &LockRecord) -> LockRecord {
    let outcome = Locks::new(store)
        .release(ENV, &lock.lock_id, Utc::now())
        .await
        .unwrap();
    assert!(matches!(outcome, ReleaseOutcome::Released(_)));
    let (released, _) = Locks::new(store).read(ENV).await.unwrap().unwrap();
    chain_lock(store, "lock-release", &released).await;
    released
}

async fn put_lock(store: &Store, lock: &LockRecord) {
    store
        .put(&lock_key(ENV), serde_json::to_vec_pretty(lock).unwrap())
        .await
        .unwrap();
}

async fn verify(store: &Store) -> ChainReport {
    verify_chain(store, ENV).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_writers_leave_a_gapless_chain() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    const WRITERS: usize = 8;
    const EACH: usize = 5;
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let store = store.clone();
        writers.spawn(async move {
            let mut keys = Vec::new();
            for n in 0..EACH {
                let record = gate_record(&format!("writer-{writer}-{n}"));
                keys.push(audit_record::write(&store, &record).await.unwrap());
            }
            keys
        });
    }
    let mut returned = Vec::new();
    while let Some(keys) = writers.join_next().await {
        returned.extend(keys.unwrap());
    }
    let total = (WRITERS * EACH) as u64;
    returned.sort();
    let expected: Vec<String> = (1..=total).map(|n| chained_key(ENV, n)).collect();
    assert_eq!(returned, expected, "every write got its own slot, no gap");
    assert_eq!(
        store.list(&format!("audit/{ENV}/")).await.unwrap(),
        expected,
        "the trail holds exactly the chain"
    );

    let mut previous: Option<Vec<u8>> = None;
    for (n, key) in expected.iter().enumerate() {
        let body = store.get(key).await.unwrap().unwrap().body;
        let record: AuditRecord = serde_json::from_slice(&body).unwrap();
        assert_eq!(record.sequence, n as u64 + 1, "{key}");
        assert_eq!(
            record.previous_digest,
            previous.as_deref().map(audit_record::digest),
            "{key} chains to the bytes before it"
        );
        previous = Some(body);
    }

    let report = verify(&store).await;
    assert_eq!(report.problems, vec![], "an untampered chain");
    assert_eq!((report.chained_records, report.last_sequence), (40, total));
    let mut plans: Vec<String> = audit_record::list(&store, ENV)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.plan_id)
        .collect();
    plans.sort();
    plans.dedup();
    assert_eq!(plans.len(), WRITERS * EACH, "every record written once");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_record_is_named_by_the_record_after_it() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 3).await;
    let key = chained_key(ENV, 2);
    let original = store.get(&key).await.unwrap().unwrap().body;
    let mut record: AuditRecord = serde_json::from_slice(&original).unwrap();
    record.decision = "denied".into();
    store
        .put(&key, serde_json::to_vec_pretty(&record).unwrap())
        .await
        .unwrap();

    let report = verify(&store).await;
    assert_eq!(
        report.problems,
        vec![ChainProblem::Edited {
            key: key.clone(),
            sequence: 2,
            witness_key: chained_key(ENV, 3),
            expected: Some(audit_record::digest(&original)),
            found: audit_record::digest(&store.get(&key).await.unwrap().unwrap().body),
        }]
    );
    assert!(!report.is_intact());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_head_catches_an_edit_of_the_last_record() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 2).await;
    let key = chained_key(ENV, 2);
    let mut record: AuditRecord =
        serde_json::from_slice(&store.get(&key).await.unwrap().unwrap().body).unwrap();
    record.reasons.push("edited".into());
    store
        .put(&key, serde_json::to_vec_pretty(&record).unwrap())
        .await
        .unwrap();
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::HeadDiffers {
            key: head_key(ENV),
            sequence: 2,
            record_key: key,
        }]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_record_is_a_gap() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 4).await;
    delete(&server, &chained_key(ENV, 2)).await;
    delete(&server, &chained_key(ENV, 3)).await;
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::Gap {
            first: 2,
            last: 3,
            key: chained_key(ENV, 2),
        }]
    );
    // A writer carries on after the end, never into the hole.
    let key = audit_record::write(&store, &gate_record("after"))
        .await
        .unwrap();
    assert_eq!(key, chained_key(ENV, 5));
}

#[tokio::test(flavor = "multi_thread")]
async fn removing_the_last_records_stays_visible_after_later_writes() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 3).await;
    delete(&server, &chained_key(ENV, 3)).await;
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::HeadAhead {
            key: head_key(ENV),
            head_sequence: 3,
            last_sequence: 2,
        }]
    );
    // The next writers fill slot 3 again, without a gap, and leave the head alone.
    for expected in [3, 4] {
        let key = audit_record::write(&store, &gate_record("later"))
            .await
            .unwrap();
        assert_eq!(key, chained_key(ENV, expected));
    }
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::HeadDiffers {
            key: head_key(ENV),
            sequence: 3,
            record_key: chained_key(ENV, 3),
        }]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_or_stale_head_never_makes_a_writer_leave_a_gap() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 2).await;
    let forged = Head {
        environment: ENV.into(),
        sequence: 100,
        key: chained_key(ENV, 100),
        digest: audit_record::digest(b"nothing"),
    };
    store
        .put(&head_key(ENV), serde_json::to_vec(&forged).unwrap())
        .await
        .unwrap();
    let key = audit_record::write(&store, &gate_record("next"))
        .await
        .unwrap();
    assert_eq!(key, chained_key(ENV, 3));
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::HeadAhead {
            key: head_key(ENV),
            head_sequence: 100,
            last_sequence: 3,
        }]
    );

    // A head behind the chain (a writer that could not move it) only costs a walk.
    let stale = Head {
        environment: ENV.into(),
        sequence: 1,
        key: chained_key(ENV, 1),
        digest: audit_record::digest(&store.get(&chained_key(ENV, 1)).await.unwrap().unwrap().body),
    };
    store
        .put(&head_key(ENV), serde_json::to_vec(&stale).unwrap())
        .await
        .unwrap();
    assert_eq!(verify(&store).await.problems, vec![]);
    let key = audit_record::write(&store, &gate_record("walked"))
        .await
        .unwrap();
    assert_eq!(key, chained_key(ENV, 4));
    assert_eq!(verify(&store).await.problems, vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_that_is_not_a_record_is_unparsable() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 3).await;
    let key = chained_key(ENV, 2);
    store
        .put(&key, b"{\"not\": \"a record\"".to_vec())
        .await
        .unwrap();
    let problems = verify(&store).await.problems;
    assert!(
        matches!(problems.as_slice(), [ChainProblem::Unparsable { key: k, .. }, ChainProblem::Edited { sequence: 2, .. }] if *k == key),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_copied_into_another_slot_is_misplaced() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 2).await;
    let first = store.get(&chained_key(ENV, 1)).await.unwrap().unwrap().body;
    store.put(&chained_key(ENV, 3), first).await.unwrap();
    let problems = verify(&store).await.problems;
    assert!(
        problems.contains(&ChainProblem::Misplaced {
            key: chained_key(ENV, 3),
            expected_sequence: 3,
            sequence: 1,
            environment: ENV.into(),
        }),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| matches!(p, ChainProblem::Edited { sequence: 2, .. })),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_spent_marker_is_a_replay_risk() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let spent = SpentRecord {
        environment: ENV.into(),
        plan_id: "plan-7".into(),
        who: "ci".into(),
        at: Utc::now(),
    };
    attestation::spend(&store, &spent).await.unwrap();
    let key = audit_record::write(
        &store,
        &AuditRecord {
            attestation_spent: true,
            ..gate_record("plan-7")
        },
    )
    .await
    .unwrap();
    write_gates(&store, 1).await;
    assert_eq!(verify(&store).await.problems, vec![]);

    let marker_key = attestation::spent_key(ENV, "plan-7");
    delete(&server, &marker_key).await;
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::SpentMarkerMissing {
            key,
            plan_id: "plan-7".into(),
            marker_key,
        }]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn records_from_before_the_chain_are_legacy_not_tampering() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let legacy_key = format!("audit/{ENV}/20260101T100000.000000Z-plan-0.json");
    let legacy = AuditRecord {
        at: Utc::now() - Duration::days(30),
        ..gate_record("plan-0")
    };
    store
        .put(&legacy_key, serde_json::to_vec_pretty(&legacy).unwrap())
        .await
        .unwrap();
    let key = audit_record::write(&store, &gate_record("plan-1"))
        .await
        .unwrap();
    assert_eq!(
        key,
        chained_key(ENV, 1),
        "the chain starts at 1 beside them"
    );
    let report = verify(&store).await;
    assert_eq!(
        report.problems,
        vec![ChainProblem::UnchainedLegacy { key: legacy_key }]
    );
    assert!(report.is_intact());
    assert_eq!((report.legacy_records, report.chained_records), (1, 1));
    let listed = audit_record::list(&store, ENV).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|r| r.plan_id.as_str())
            .collect::<Vec<_>>(),
        ["plan-0", "plan-1"],
        "oldest first"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_lock_operations_agree_with_the_lock_object() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let first = acquire_recorded(&store, "lock-acquire").await;
    assert_eq!(verify(&store).await.problems, vec![]);
    release_recorded(&store, &first).await;
    write_gates(&store, 1).await;
    assert_eq!(verify(&store).await.problems, vec![]);
    acquire_recorded(&store, "lock-takeover").await;
    assert_eq!(verify(&store).await.problems, vec![]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_planted_freeze_is_unrecorded() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 2).await;
    let planted = LockRecord {
        environment: ENV.into(),
        lock_id: "planted".into(),
        owner: "mallory".into(),
        reason: "freeze".into(),
        acquired_at: Utc::now(),
        expires_at: None,
        generation: 1,
        released_at: None,
        ..Default::default()
    };
    put_lock(&store, &planted).await;
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::LockUnrecorded {
            key: lock_key(ENV),
            lock_id: "planted".into(),
            generation: 1,
            owner: "mallory".into(),
            live: true,
            differs: vec![],
        }]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_edited_expiry_is_unrecorded() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let lock = acquire_recorded(&store, "lock-acquire").await;
    put_lock(
        &store,
        &LockRecord {
            expires_at: Some(Utc::now() + Duration::days(365)),
            ..lock.clone()
        },
    )
    .await;
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::LockUnrecorded {
            key: lock_key(ENV),
            lock_id: lock.lock_id,
            generation: 1,
            owner: "alice".into(),
            live: true,
            differs: vec!["expires_at"],
        }]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_release_is_unrecorded() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let lock = acquire_recorded(&store, "lock-acquire").await;
    let released_at = Utc::now();
    put_lock(
        &store,
        &LockRecord {
            released_at: Some(released_at),
            ..lock.clone()
        },
    )
    .await;
    assert_eq!(
        verify(&store).await.problems,
        vec![ChainProblem::ReleaseUnrecorded {
            key: lock_key(ENV),
            lock_id: lock.lock_id,
            generation: 1,
            released_at: verify_round_trip(released_at),
        }]
    );
}

/// The time as it reads back from JSON.
fn verify_round_trip(at: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
    serde_json::from_value(serde_json::to_value(at).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_lock_object_written_back_is_a_rollback() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let first = acquire_recorded(&store, "lock-acquire").await;
    let released = release_recorded(&store, &first).await;
    acquire_recorded(&store, "lock-takeover").await;
    // The released generation 1 is written back: the live freeze disappears.
    put_lock(&store, &released).await;
    let problems = verify(&store).await.problems;
    assert!(
        matches!(
            problems.as_slice(),
            [ChainProblem::LockRolledBack { found: Some((id, 1)), chained_action, chained_generation: 2, .. }]
                if *id == first.lock_id && chained_action == "lock-takeover"
        ),
        "{problems:?}"
    );

    // The object from before a chained release is written back: a freeze returns.
    let server = S3Server::start();
    let store = store_on(&server).await;
    let held = acquire_recorded(&store, "lock-acquire").await;
    release_recorded(&store, &held).await;
    put_lock(&store, &held).await;
    let problems = verify(&store).await.problems;
    assert!(
        matches!(
            problems.as_slice(),
            [ChainProblem::LockRolledBack { found: Some((_, 1)), chained_action, .. }] if chained_action == "lock-release"
        ),
        "{problems:?}"
    );

    // The lock object is removed.
    delete(&server, &lock_key(ENV)).await;
    let problems = verify(&store).await.problems;
    assert!(
        matches!(
            problems.as_slice(),
            [ChainProblem::LockRolledBack { found: None, .. }]
        ),
        "{problems:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_from_before_the_chain_is_legacy_unless_it_is_live() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let old = LockRecord {
        environment: ENV.into(),
        lock_id: "old".into(),
        owner: "alice".into(),
        reason: "last year's freeze".into(),
        acquired_at: Utc::now() - Duration::days(300),
        expires_at: None,
        generation: 4,
        released_at: Some(Utc::now() - Duration::days(299)),
        ..Default::default()
    };
    put_lock(&store, &old).await;
    write_gates(&store, 1).await;
    let report = verify(&store).await;
    assert_eq!(
        report.problems,
        vec![ChainProblem::UnchainedLegacyLock {
            key: lock_key(ENV),
            generation: 4,
        }]
    );
    assert!(report.is_intact());

    put_lock(
        &store,
        &LockRecord {
            released_at: None,
            ..old
        },
    )
    .await;
    let report = verify(&store).await;
    assert!(
        matches!(
            report.problems.as_slice(),
            [ChainProblem::LockUnrecorded { live: true, .. }]
        ),
        "{:?}",
        report.problems
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn environments_are_found_by_trail_head_and_lock() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 1).await;
    store
        .put(&lock_key("staging"), b"{}".to_vec())
        .await
        .unwrap();
    store
        .put(
            "audit/develop/20260101T000000.000000Z-p.json",
            b"{}".to_vec(),
        )
        .await
        .unwrap();
    assert_eq!(
        audit_record::environments(&store).await.unwrap(),
        ["develop", "production", "staging"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_operation_in_flight_is_not_reported() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    write_gates(&store, 1).await;
    let lock = Locks::new(&store)
        .acquire(
            &LockRequest {
                environment: ENV.into(),
                owner: "alice".into(),
                reason: "maintenance".into(),
                expires_at: None,
                ..Default::default()
            },
            Utc::now(),
        )
        .await
        .unwrap();
    // The lock is written; its record follows a moment later, while the
    // verification runs.
    let recorder = {
        let store = store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            chain_lock(&store, "lock-acquire", &lock).await;
        })
    };
    let report = verify(&store).await;
    recorder.await.unwrap();
    assert_eq!(report.problems, vec![]);
}
