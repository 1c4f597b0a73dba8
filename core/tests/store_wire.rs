//! What the store puts on the wire, seen by a bare HTTP listener: R2 refuses the
//! checksum trailers and `aws-chunked` bodies the AWS SDK sends by default, so
//! every write must carry checksums only when an operation requires them, be
//! path-style, and sign for region `auto`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

use guardrail_core::store::{Store, StoreConfig};

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
    for name in [
        "AWS_REQUEST_CHECKSUM_CALCULATION",
        "AWS_RESPONSE_CHECKSUM_VALIDATION",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIAWIRETEST00000000");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "wire-test-secret");
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_CONFIG_FILE", "/dev/null");
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");

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
