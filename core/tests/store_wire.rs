//! What the store puts on the wire, seen by a bare HTTP listener: R2 refuses the
//! checksum trailers and `aws-chunked` bodies the AWS SDK sends by default, so
//! every write must carry checksums only when an operation requires them, be
//! path-style, and sign for region `auto`. Every S3 client (the store's, the
//! state reader's, the state journal's) is built by `store::connect`, whose
//! endpoint, region and credential rules are checked here too.

use guardrail_core::store::ObjectStore;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use guardrail_core::store::connect::{resolve_endpoint, resolve_region};
use guardrail_core::store::{connect, S3Settings, StaticCredentials, Store, StoreConfig};

/// Tests here set process-wide AWS variables: one at a time.
static ENVIRONMENT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Clears every variable the connection rules read, with test credentials.
async fn clean_environment() -> tokio::sync::MutexGuard<'static, ()> {
    let guard = ENVIRONMENT.lock().await;
    for name in [
        "AWS_REQUEST_CHECKSUM_CALCULATION",
        "AWS_RESPONSE_CHECKSUM_VALIDATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIAWIRETEST00000000");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "wire-test-secret");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_CONFIG_FILE", "/dev/null");
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    guard
}

/// Headers R2 refuses (lowercase request head lines), if any.
fn refused_headers(headers: &[String]) -> Vec<&String> {
    headers
        .iter()
        .filter(|header| {
            header.starts_with("x-amz-checksum-")
                || header.starts_with("x-amz-sdk-checksum-algorithm")
                || header.starts_with("x-amz-trailer")
                || header.contains("aws-chunked")
        })
        .collect()
}

/// Accepts one request, answers `200 OK` with an ETag, returns the request head.
fn capture_one_request(listener: TcpListener) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept the store's connection");
        let mut reader = BufReader::new(stream.try_clone().expect("clone the socket"));
        let mut head = Vec::new();
        let mut content_length = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read the request head");
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                content_length = value.trim().parse().unwrap_or(0);
            }
            head.push(line);
        }
        let mut body = vec![0u8; content_length];
        reader.read_exact(&mut body).expect("read the body");
        let mut stream = stream;
        stream
            .write_all(b"HTTP/1.1 200 OK\r\nETag: \"abc\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .expect("answer");
        head
    })
}

#[tokio::test]
async fn writes_carry_no_checksum_trailers_and_are_path_style_for_region_auto() {
    let _environment = clean_environment().await;

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let captured = capture_one_request(listener);
    let store = Store::connect(&StoreConfig {
        bucket: "guardrails".into(),
        endpoint: Some(endpoint),
        ..StoreConfig::default()
    })
    .await
    .expect("connect");
    let etag = store
        .put("locks/production.json", b"{\"owner\":\"ci\"}".to_vec())
        .await
        .expect("the write succeeds against the listener");
    assert_eq!(etag, "\"abc\"");

    let head = captured.join().expect("the listener thread");
    let request_line = &head[0];
    assert!(
        request_line.starts_with("PUT /guardrails/guardrail/locks/production.json"),
        "not a path-style request under the store prefix: {request_line}"
    );
    let headers: Vec<String> = head[1..].iter().map(|h| h.to_ascii_lowercase()).collect();
    for header in &headers {
        assert!(
            !header.starts_with("x-amz-checksum-")
                && !header.starts_with("x-amz-sdk-checksum-algorithm")
                && !header.starts_with("x-amz-trailer")
                && !header.contains("aws-chunked"),
            "R2 refuses this header: {header}\n{head:#?}"
        );
    }
    let authorization = headers
        .iter()
        .find(|h| h.starts_with("authorization:"))
        .expect("a signed request");
    assert!(
        authorization.contains("/auto/s3/aws4_request"),
        "not signed for region auto: {authorization}"
    );
    assert!(
        !authorization.contains("wire-test-secret"),
        "the secret key is on the wire"
    );
}

/// A client from `connect` with static credentials (as the state journal's):
/// the endpoint falls back to `AWS_ENDPOINT_URL`, an explicit region wins, the
/// static key signs instead of the chain's, and the wire rules are the store's.
#[tokio::test]
async fn connect_with_static_credentials_keeps_the_wire_rules() {
    let _environment = clean_environment().await;
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::env::set_var("AWS_ENDPOINT_URL", &endpoint);
    let captured = capture_one_request(listener);
    let client = connect(&S3Settings {
        region: Some("eu-west-3".into()),
        credentials: Some(StaticCredentials {
            access_key_id: "AKIASTATICJOURNAL000".into(),
            secret_access_key: "static-secret".into(),
        }),
        ..S3Settings::default()
    })
    .await;
    assert_eq!(client.endpoint(), Some(endpoint.as_str()));
    assert_eq!(client.region(), "eu-west-3");
    client
        .sdk()
        .put_object()
        .bucket("journal")
        .key("history/run.jsonl")
        .if_none_match("*")
        .body(b"{}\n".to_vec().into())
        .send()
        .await
        .expect("the write succeeds against the listener");

    let head = captured.join().expect("the listener thread");
    assert!(
        head[0].starts_with("PUT /journal/history/run.jsonl"),
        "not a path-style request: {}",
        head[0]
    );
    let headers: Vec<String> = head[1..].iter().map(|h| h.to_ascii_lowercase()).collect();
    assert_eq!(
        refused_headers(&headers),
        Vec::<&String>::new(),
        "{head:#?}"
    );
    assert!(headers.iter().any(|h| h == "if-none-match: *"), "{head:#?}");
    let authorization = headers
        .iter()
        .find(|h| h.starts_with("authorization:"))
        .expect("a signed request");
    assert!(
        authorization.contains("credential=akiastaticjournal000/")
            && authorization.contains("/eu-west-3/s3/aws4_request"),
        "not signed with the static key for the explicit region: {authorization}"
    );
    assert!(
        !authorization.contains("static-secret"),
        "the secret key is on the wire"
    );
}

/// The endpoint: explicit, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`;
/// empty values count as unset.
#[tokio::test]
async fn the_endpoint_is_explicit_then_the_s3_variable_then_the_general_one() {
    let _environment = clean_environment().await;
    assert_eq!(resolve_endpoint(None), None);
    std::env::set_var("AWS_ENDPOINT_URL", "http://general:1");
    assert_eq!(resolve_endpoint(None).as_deref(), Some("http://general:1"));
    std::env::set_var("AWS_ENDPOINT_URL_S3", "");
    assert_eq!(
        resolve_endpoint(Some(" ")).as_deref(),
        Some("http://general:1")
    );
    std::env::set_var("AWS_ENDPOINT_URL_S3", "http://s3:2");
    assert_eq!(resolve_endpoint(None).as_deref(), Some("http://s3:2"));
    assert_eq!(
        resolve_endpoint(Some("http://explicit:3")).as_deref(),
        Some("http://explicit:3")
    );
}

/// The region: explicit, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the
/// selected profile's, else `auto`.
#[tokio::test]
async fn the_region_is_explicit_then_the_users_then_auto() {
    let _environment = clean_environment().await;
    assert_eq!(resolve_region(None).await, "auto");
    assert_eq!(resolve_region(Some(" ")).await, "auto");
    let config = std::env::temp_dir().join(format!("store-wire-aws-config-{}", std::process::id()));
    std::fs::write(
        &config,
        "[default]\nregion = eu-central-1\n\n[profile aws]\nregion = eu-west-3\n",
    )
    .unwrap();
    std::env::set_var("AWS_CONFIG_FILE", &config);
    assert_eq!(resolve_region(None).await, "eu-central-1");
    std::env::set_var("AWS_PROFILE", "aws");
    assert_eq!(resolve_region(None).await, "eu-west-3");
    std::env::set_var("AWS_DEFAULT_REGION", "ap-south-1");
    assert_eq!(resolve_region(None).await, "ap-south-1");
    std::env::set_var("AWS_REGION", "us-east-1");
    assert_eq!(resolve_region(None).await, "us-east-1");
    assert_eq!(resolve_region(Some("auto")).await, "auto");
    let _ = std::fs::remove_file(&config);
}
