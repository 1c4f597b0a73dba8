//! Racing lock operations against a real S3 server (moto), talking HTTP: many
//! rounds of concurrent acquirers and of concurrent takeovers of an expired lock
//! give exactly one holder per round and a generation that only grows; and on an
//! endpoint that drops `If-Match` (a proxy in front of moto), racers over an
//! expired lock never end up as several holders.
//!
//! moto evaluates a PUT's condition and stores the object without a lock, so two
//! concurrent conditional PUTs can both pass there (never on R2 or S3): every
//! race goes through a [`HeaderProxy`] that forwards one write at a time, which
//! makes moto's conditional writes atomic as R2's are.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use guardrail_core::lock::{LockError, LockRecord, LockRequest, Locks, OperatorRequest};
use guardrail_core::store::{Condition, Store, StoreConfig};
use guardrail_testkit::header_proxy::HeaderProxy;
use guardrail_testkit::S3Server;

const RACERS: usize = 8;
const ROUNDS: usize = 50;
const ENVIRONMENT: &str = "production";

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

/// A proxy in front of `server` whose conditional writes are atomic.
fn atomic_front(server: &S3Server) -> HeaderProxy {
    let proxy = HeaderProxy::start(server);
    proxy.serialise_writes();
    proxy
}

async fn store_at(server: &S3Server, endpoint: String) -> Store {
    use_server_credentials(server);
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(endpoint),
        ..StoreConfig::default()
    })
    .await
    .expect("connect to the local S3 server")
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
}

fn request(owner: String, now: DateTime<Utc>) -> LockRequest {
    LockRequest {
        environment: ENVIRONMENT.to_string(),
        reason: format!("release train of {owner}"),
        owner,
        expires_at: Some(now + Duration::minutes(30)),
        ..LockRequest::default()
    }
}

/// Runs `RACERS` acquisitions at once; returns the winners and every error.
async fn race_acquire(
    store: &Store,
    round: usize,
    now: DateTime<Utc>,
) -> (Vec<LockRecord>, Vec<LockError>) {
    let tasks: Vec<_> = (0..RACERS)
        .map(|racer| {
            let locks = Locks::new(store);
            tokio::spawn(async move {
                locks
                    .acquire(&request(format!("ci-{round}-{racer}"), now), now)
                    .await
            })
        })
        .collect();
    collect(tasks).await
}

/// Runs `RACERS` operator takeovers at once, each of the lock at `generation`
/// (what every operator saw when they looked at it).
async fn race_takeover(
    store: &Store,
    round: usize,
    generation: u64,
    now: DateTime<Utc>,
) -> (Vec<LockRecord>, Vec<LockError>) {
    let tasks: Vec<_> = (0..RACERS)
        .map(|racer| {
            let locks = Locks::new(store);
            tokio::spawn(async move {
                let operator = OperatorRequest {
                    environment: ENVIRONMENT.to_string(),
                    actor: format!("oncall-{round}-{racer}"),
                    reason: "INC-1: holder gone".to_string(),
                    expected_generation: Some(generation),
                };
                locks
                    .takeover(&operator, Some(now + Duration::minutes(30)), now)
                    .await
            })
        })
        .collect();
    collect(tasks).await
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<Result<LockRecord, LockError>>>,
) -> (Vec<LockRecord>, Vec<LockError>) {
    let mut winners = Vec::new();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await.expect("a racer panicked") {
            Ok(record) => winners.push(record),
            Err(error) => errors.push(error),
        }
    }
    (winners, errors)
}

async fn stored(store: &Store) -> LockRecord {
    Locks::new(store)
        .read(ENVIRONMENT)
        .await
        .unwrap()
        .expect("the lock record exists")
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_acquirers_give_one_holder_per_round_and_growing_generations() {
    let server = S3Server::start();
    let front = atomic_front(&server);
    let store = store_at(&server, front.endpoint()).await;
    let mut last_generation = 0;
    for round in 0..ROUNDS {
        // Every round starts after the previous lock expired; every other round the
        // winner also released it first, so both takeover paths are raced.
        let now = base() + Duration::hours(round as i64);
        let (winners, errors) = race_acquire(&store, round, now).await;
        assert_eq!(
            winners.len(),
            1,
            "round {round}: expected exactly one holder, got {:?} (errors: {errors:?})",
            winners.iter().map(|w| &w.owner).collect::<Vec<_>>()
        );
        for error in &errors {
            assert!(
                matches!(error, LockError::Held(_) | LockError::Contended { .. }),
                "round {round}: a loser must be told the lock is held or contended: {error}"
            );
        }
        let winner = &winners[0];
        assert!(
            winner.generation > last_generation,
            "round {round}: generation {} after {last_generation}",
            winner.generation
        );
        assert_eq!(
            winner.generation,
            round as u64 + 1,
            "one acquisition per round"
        );
        last_generation = winner.generation;
        let record = stored(&store).await;
        assert_eq!(
            record.lock_id, winner.lock_id,
            "round {round}: the stored holder is the winner"
        );
        if round % 2 == 0 {
            Locks::new(&store)
                .release(ENVIRONMENT, &winner.lock_id, now)
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_takeovers_of_an_expired_lock_give_one_holder() {
    let server = S3Server::start();
    let front = atomic_front(&server);
    let store = store_at(&server, front.endpoint()).await;
    let first = Locks::new(&store)
        .acquire(&request("ci-gone".into(), base()), base())
        .await
        .unwrap();
    let mut last_generation = first.generation;
    let mut holders = BTreeSet::new();
    for round in 0..ROUNDS {
        // The previous holder's lock (30 minutes) has expired.
        let now = base() + Duration::hours(round as i64 + 1);
        let (winners, errors) = race_takeover(&store, round, last_generation, now).await;
        assert_eq!(
            winners.len(),
            1,
            "round {round}: expected exactly one takeover, got {:?} (errors: {errors:?})",
            winners.iter().map(|w| &w.owner).collect::<Vec<_>>()
        );
        for error in &errors {
            assert!(
                matches!(
                    error,
                    LockError::Contended { .. } | LockError::Changed { .. }
                ),
                "round {round}: a losing takeover must be refused as contended: {error}"
            );
        }
        let winner = &winners[0];
        assert_eq!(winner.generation, last_generation + 1, "round {round}");
        last_generation = winner.generation;
        assert!(
            holders.insert(winner.lock_id.clone()),
            "lock ids are unique"
        );
        let record = stored(&store).await;
        assert_eq!(
            record, *winner,
            "round {round}: the stored record is the winner's"
        );
    }
}

/// Seeds an expired lock through `honest` and races acquirers and takeovers over
/// it through `broken`, which drops `If-Match`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racers_through_an_endpoint_dropping_if_match_never_become_several_holders() {
    let server = S3Server::start();
    let honest = store_at(&server, server.endpoint()).await;
    let expired = Locks::new(&honest)
        .acquire(&request("ci-gone".into(), base()), base())
        .await
        .unwrap();
    let later = base() + Duration::hours(1);

    let proxy = atomic_front(&server);
    proxy.strip_header("If-Match");
    let broken = store_at(&server, proxy.endpoint()).await;
    for (operation, (winners, errors)) in [
        ("acquire", race_acquire(&broken, 0, later).await),
        (
            "takeover",
            race_takeover(&broken, 0, expired.generation, later).await,
        ),
    ] {
        assert!(
            winners.len() <= 1,
            "{operation} through an endpoint without If-Match: {} racers believe they hold the lock: {:?}",
            winners.len(),
            winners.iter().map(|w| &w.owner).collect::<Vec<_>>()
        );
        assert!(
            winners.is_empty(),
            "{operation}: the operations must fail closed, yet {:?} won",
            winners[0].owner
        );
        for error in &errors {
            assert!(
                matches!(error, LockError::IfMatchIgnored { .. }),
                "{operation}: expected the endpoint to be refused, got: {error}"
            );
            let message = error.to_string();
            assert!(
                message.contains(&proxy.endpoint()) && message.contains("If-Match"),
                "the refusal names the endpoint and the header: {message}"
            );
            let LockError::IfMatchIgnored { condition, .. } = error else {
                unreachable!("matched above")
            };
            assert!(
                matches!(condition, Condition::PutIfMatch | Condition::DeleteIfMatch),
                "the refusal keeps the ignored If-Match condition: {condition:?}"
            );
            assert!(
                message.contains(&condition.to_string()) && message.contains("never had"),
                "the refusal says which condition was ignored and what the probe saw: {message}"
            );
        }
    }
    assert!(
        proxy
            .requests()
            .iter()
            .any(|seen| seen.stripped.iter().any(|name| name == "if-match")),
        "the proxy must actually have dropped an If-Match header: {:?}",
        proxy.requests()
    );
    assert_eq!(
        stored(&honest).await,
        expired,
        "nobody overwrote the expired lock"
    );

    // The same proxy forwarding every header is an honest endpoint: exactly one
    // racer wins (a fresh proxy, since a confirmed endpoint is not probed again).
    let passing = atomic_front(&server);
    let through = store_at(&server, passing.endpoint()).await;
    let (winners, _) = race_acquire(&through, 1, later).await;
    assert_eq!(winners.len(), 1, "one holder through an honest proxy");
    assert_eq!(winners[0].generation, expired.generation + 1);
}
