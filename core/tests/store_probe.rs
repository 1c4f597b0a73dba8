//! The store's probe of conditional requests: an endpoint that ignores
//! If-None-Match on PutObject, If-Match on PutObject or If-Match on DeleteObject
//! is refused, naming which; an honouring one passes. A proxy in front of the
//! real S3 server stands in for a broken endpoint by dropping headers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use guardrail_core::lock::Locks;
use guardrail_core::store::{Condition, Store, StoreConfig, StoreError};
use guardrail_testkit::header_proxy::HeaderProxy;
use guardrail_testkit::S3Server;

async fn store_at(server: &S3Server, endpoint: String) -> Store {
    for (key, value) in server.env() {
        if key.starts_with("AWS_ACCESS") || key.starts_with("AWS_SECRET") {
            std::env::set_var(key, value);
        }
    }
    Store::connect(&StoreConfig {
        bucket: server.bucket().to_string(),
        endpoint: Some(endpoint),
        ..StoreConfig::default()
    })
    .await
    .expect("connect")
}

fn ignored(error: StoreError) -> Condition {
    match error {
        StoreError::ConditionalWritesIgnored { condition, .. } => condition,
        other => panic!("expected ConditionalWritesIgnored, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_ignored_condition_is_refused_by_name() {
    let server = S3Server::start();
    let direct = store_at(&server, server.endpoint()).await;
    direct
        .probe_conditional_writes()
        .await
        .expect("moto honours all three");
    direct
        .probe_conditional_writes()
        .await
        .expect("and again, on the probe that now exists");

    for (header, condition) in [
        ("If-Match", Condition::PutIfMatch),
        ("If-None-Match", Condition::PutIfNoneMatch),
    ] {
        let proxy = HeaderProxy::start(&server);
        proxy.strip_header(header);
        let store = store_at(&server, proxy.endpoint()).await;
        let error = store.probe_conditional_writes().await.unwrap_err();
        let message = error.to_string();
        assert_eq!(ignored(error), condition, "{header}: {message}");
        assert!(
            message.contains(&condition.to_string()) && message.contains("unsafe"),
            "{message}"
        );
    }
    // The probe survives a refused check: the honouring endpoint still passes.
    direct
        .probe_conditional_writes()
        .await
        .expect("the probe is intact");
}

/// An endpoint that honours conditions on PutObject but deletes whatever If-Match says.
fn deleting_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut content_length = 0usize;
            let mut conditional = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    content_length = value.trim().parse().unwrap_or(0);
                }
                conditional |=
                    lower.starts_with("if-match:") || lower.starts_with("if-none-match:");
            }
            let mut body = vec![0; content_length];
            let _ = reader.read_exact(&mut body);
            let response = if request_line.starts_with("DELETE") {
                "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n".to_string()
            } else if request_line.starts_with("PUT") && conditional {
                let body = "<Error><Code>PreconditionFailed</Code><Message>no</Message></Error>";
                format!("HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            } else {
                "HTTP/1.1 200 OK\r\nETag: \"0123\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            };
            let mut stream = stream;
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_that_ignores_if_match_on_delete_is_refused() {
    let server = S3Server::start();
    let store = store_at(&server, deleting_endpoint()).await;
    let error = store.probe_conditional_writes().await.unwrap_err();
    assert_eq!(ignored(error), Condition::DeleteIfMatch);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_endpoint_is_named_unreachable() {
    let server = S3Server::start();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let store = store_at(&server, endpoint.clone()).await;
    match store.probe_conditional_writes().await.unwrap_err() {
        StoreError::Unreachable {
            endpoint: named,
            cause,
        } => {
            assert_eq!(named, endpoint);
            assert_eq!(cause, "connection refused");
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_process_probes_a_store_once() {
    let server = S3Server::start();
    let proxy = HeaderProxy::start(&server);
    let store = store_at(&server, proxy.endpoint()).await;
    store
        .verify_conditional_writes()
        .await
        .expect("moto honours all three");
    let probed = proxy.requests().len();
    assert!(
        probed >= 3,
        "the first check sends the probe requests: {probed}"
    );
    store
        .verify_conditional_writes()
        .await
        .expect("still verified");
    Locks::new(&store)
        .read("production")
        .await
        .expect("read a lock");
    assert_eq!(
        proxy.requests().len(),
        probed + 1,
        "the second check sends nothing; only the lock read reaches the store"
    );
}

/// A process that only reads never probes; the first conditional write sends
/// the probe before itself, and an endpoint that ignores a condition is refused
/// before anything of the caller's is written.
#[tokio::test(flavor = "multi_thread")]
async fn the_probe_runs_before_the_first_conditional_write_only() {
    use guardrail_core::store::{ObjectStore, CONDITIONAL_WRITE_PROBE};
    let server = S3Server::start();
    let proxy = HeaderProxy::start(&server);
    let store = store_at(&server, proxy.endpoint()).await;
    Locks::new(&store)
        .read("production")
        .await
        .expect("read a lock");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1, "a read is one request: {seen:?}");
    assert_eq!(seen[0].method, "GET");

    store
        .put_if_absent("records/first.json", b"{}".to_vec())
        .await
        .expect("moto honours conditional writes");
    let seen = proxy.requests();
    let writes: Vec<&str> = seen[1..].iter().map(|r| r.path.as_str()).collect();
    let first_write = writes
        .iter()
        .position(|path| path.contains("records/first.json"))
        .expect("the write reached the store");
    assert!(
        first_write >= 3
            && writes[..first_write]
                .iter()
                .all(|path| path.contains(CONDITIONAL_WRITE_PROBE)),
        "the probe's requests come first: {writes:?}"
    );

    // Another endpoint that drops If-None-Match: its first conditional write is
    // refused by the probe and the caller's object is never sent.
    let broken = HeaderProxy::start(&server);
    broken.strip_header("if-none-match");
    let store = store_at(&server, broken.endpoint()).await;
    let error = store
        .put_if_absent("records/second.json", b"{}".to_vec())
        .await
        .unwrap_err();
    assert_eq!(ignored(error), Condition::PutIfNoneMatch);
    assert!(
        broken
            .requests()
            .iter()
            .all(|r| !r.path.contains("records/second.json")),
        "nothing of the caller's was written"
    );
}
