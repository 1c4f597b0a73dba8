//! The store, locks and audit records against a real S3 server (moto), talking HTTP.

use guardrail_core::store::ObjectStore;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use chrono::{Duration, TimeZone, Utc};
use guardrail_core::audit_record::{self, AuditRecord};
use guardrail_core::lock::{LockError, LockRequest, Locks, ReleaseOutcome};
use guardrail_core::store::{PutOutcome, Store, StoreConfig, StoreError, CONDITIONAL_WRITE_PROBE};
use guardrail_testkit::S3Server;

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

fn request(environment: &str, owner: &str) -> LockRequest {
    LockRequest {
        environment: environment.to_string(),
        owner: owner.to_string(),
        reason: format!("maintenance by {owner}"),
        expires_at: None,
        ..LockRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_writes_list_and_prefix() {
    let server = S3Server::start();
    let store = store_on(&server).await;

    assert_eq!(store.get("missing.json").await.unwrap(), None);
    let PutOutcome::Written { etag } = store.put_if_absent("a.json", b"1".to_vec()).await.unwrap()
    else {
        panic!("the first create must be written");
    };
    assert_eq!(
        store.put_if_absent("a.json", b"2".to_vec()).await.unwrap(),
        PutOutcome::PreconditionFailed
    );
    assert_eq!(
        store
            .put_if_match("a.json", b"3".to_vec(), "\"stale\"")
            .await
            .unwrap(),
        PutOutcome::PreconditionFailed
    );
    assert!(matches!(
        store
            .put_if_match("a.json", b"4".to_vec(), &etag)
            .await
            .unwrap(),
        PutOutcome::Written { .. }
    ));
    let object = store.get("a.json").await.unwrap().unwrap();
    assert_eq!(object.body, b"4");
    // The first conditional write probed the endpoint: the probe object stays
    // beside the data, under the same prefix.
    assert_eq!(
        server.keys().await,
        vec![
            "guardrail/a.json".to_string(),
            format!("guardrail/{CONDITIONAL_WRITE_PROBE}")
        ],
        "keys live under the prefix"
    );
    store
        .probe_conditional_writes()
        .await
        .expect("moto honours If-None-Match");
    // The probe stays, and the next check (one request) passes on it.
    assert!(server
        .keys()
        .await
        .contains(&format!("guardrail/{CONDITIONAL_WRITE_PROBE}")));
    store
        .probe_conditional_writes()
        .await
        .expect("moto honours If-None-Match on the existing probe");

    // More than one page (S3 and R2 page at 1,000 keys).
    let client = server.client().await;
    for index in 0..1_050 {
        client
            .put_object()
            .bucket(server.bucket())
            .key(format!("guardrail/many/{index:05}.json"))
            .body(b"{}".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let listed = store.list("many/").await.unwrap();
    assert_eq!(listed.len(), 1_050);
    assert_eq!(listed[0], "many/00000.json");
    assert_eq!(listed[1_049], "many/01049.json");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_is_named_in_the_error() {
    let server = S3Server::start();
    use_server_credentials(&server);
    let store = Store::connect(&StoreConfig {
        bucket: "no-such-guardrail-bucket".into(),
        endpoint: Some(server.endpoint()),
        ..StoreConfig::default()
    })
    .await
    .unwrap();
    let error = store.get("locks/production.json").await.unwrap_err();
    assert!(
        matches!(error, StoreError::NoSuchBucket { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("no-such-guardrail-bucket"),
        "{error}"
    );
}

/// An endpoint that answers every PUT with 200, as a server ignoring
/// `If-None-Match` does.
fn overwriting_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut content_length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; content_length];
            let _ = reader.read_exact(&mut body);
            let response = if request_line.starts_with("PUT") {
                "HTTP/1.1 200 OK\r\nETag: \"0123\"\r\nContent-Length: 0\r\n\r\n".to_string()
            } else if request_line.starts_with("DELETE") {
                "HTTP/1.1 204 No Content\r\n\r\n".to_string()
            } else {
                let body = "<Error><Code>NoSuchKey</Code><Message>none</Message></Error>";
                format!(
                    "HTTP/1.1 404 Not Found\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_overwrites_silently_is_refused() {
    let server = S3Server::start();
    use_server_credentials(&server);
    let store = Store::connect(&StoreConfig {
        bucket: "guardrails".into(),
        endpoint: Some(overwriting_endpoint()),
        ..StoreConfig::default()
    })
    .await
    .unwrap();
    let error = store.probe_conditional_writes().await.unwrap_err();
    assert!(
        matches!(error, StoreError::ConditionalWritesIgnored { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("unsafe"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn locks_fence_with_growing_generations() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let locks = Locks::new(&store);
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();

    let first = locks
        .acquire(&request("production", "alice"), now)
        .await
        .unwrap();
    assert_eq!(first.generation, 1);

    let held = locks
        .acquire(&request("production", "bob"), now)
        .await
        .unwrap_err();
    let message = held.to_string();
    assert!(matches!(held, LockError::Held(_)));
    assert!(
        message.contains("alice") && message.contains("maintenance by alice"),
        "{message}"
    );
    assert!(message.contains("no expiry"), "{message}");

    assert!(matches!(
        locks.release("production", "not-the-holder", now).await.unwrap(),
        ReleaseOutcome::HeldByOther(record) if record.owner == "alice"
    ));
    assert!(locks.current("production", now).await.unwrap().is_some());

    assert!(matches!(
        locks
            .release("production", &first.lock_id, now)
            .await
            .unwrap(),
        ReleaseOutcome::Released(record) if record.lock_id == first.lock_id && record.released_at == Some(now)
    ));
    assert_eq!(
        locks
            .release("production", &first.lock_id, now)
            .await
            .unwrap(),
        ReleaseOutcome::AlreadyReleased
    );
    assert_eq!(locks.current("production", now).await.unwrap(), None);

    let second = locks
        .acquire(&request("production", "bob"), now)
        .await
        .unwrap();
    assert_eq!(second.generation, 2);
    locks
        .release("production", &second.lock_id, now)
        .await
        .unwrap();

    // An expiring lock is taken over once it has expired, with the next generation.
    let mut expiring = request("production", "carol");
    expiring.expires_at = Some(now + Duration::hours(1));
    let third = locks.acquire(&expiring, now).await.unwrap();
    assert_eq!(third.generation, 3);
    let still_held = locks
        .acquire(&request("production", "dave"), now + Duration::minutes(59))
        .await;
    assert!(still_held
        .unwrap_err()
        .to_string()
        .contains(&third.expires_at.unwrap().to_rfc3339()));
    let later = now + Duration::hours(2);
    let takeover = locks
        .acquire(&request("production", "dave"), later)
        .await
        .unwrap();
    assert_eq!(takeover.generation, 4);
    assert_eq!(takeover.owner, "dave");
    // The expired holder's release leaves the new holder alone.
    assert!(matches!(
        locks.release("production", &third.lock_id, later).await.unwrap(),
        ReleaseOutcome::HeldByOther(record) if record.owner == "dave"
    ));

    // Environments are independent.
    assert_eq!(
        locks
            .acquire(&request("staging", "erin"), now)
            .await
            .unwrap()
            .generation,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_acquirers_never_both_win() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let now = Utc::now();
    let mut last_generation = 0;
    for round in 0..10 {
        let store = store.clone();
        let tasks: Vec<_> = (0..16)
            .map(|contender| {
                let store = store.clone();
                tokio::spawn(async move {
                    Locks::new(&store)
                        .acquire(&request("production", &format!("ci-{contender}")), now)
                        .await
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.unwrap() {
                Ok(record) => winners.push(record),
                Err(LockError::Held(_)) | Err(LockError::Contended { .. }) => {}
                Err(other) => panic!("round {round}: unexpected error {other}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one holder");
        let winner = &winners[0];
        assert!(winner.generation > last_generation, "generations only grow");
        last_generation = winner.generation;
        let stored = Locks::new(&store)
            .current("production", now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored.lock_id, winner.lock_id,
            "the stored holder is the winner"
        );
        Locks::new(&store)
            .release("production", &winner.lock_id, now)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_records_are_never_overwritten() {
    let server = S3Server::start();
    let store = store_on(&server).await;
    let at = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let record = |decision: &str, at| AuditRecord {
        environment: "production".into(),
        plan_id: "plan-1".into(),
        decision: decision.into(),
        who: "ci".into(),
        at,
        reasons: vec![],
        break_glass: None,
        lock_generation: Some(3),
        ..Default::default()
    };
    let first = audit_record::write(&store, &record("denied", at))
        .await
        .unwrap();
    let second = audit_record::write(&store, &record("allowed", at))
        .await
        .unwrap();
    assert_ne!(first, second);
    audit_record::write(&store, &record("allowed", at - Duration::minutes(5)))
        .await
        .unwrap();
    let listed = audit_record::list(&store, "production").await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].at, at - Duration::minutes(5), "oldest first");
    let decisions: Vec<_> = listed[1..].iter().map(|r| r.decision.as_str()).collect();
    assert!(decisions.contains(&"denied") && decisions.contains(&"allowed"));
}
