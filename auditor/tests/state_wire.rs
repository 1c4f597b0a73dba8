//! What `tfaudit state` puts on the wire, seen by a header proxy in front of a
//! real S3 server (moto). The state reader and the S3 journal build their clients
//! with `guardrail_core::store::connect`, like the guardrail store: every request
//! is path-style, carries no checksum header or trailer (R2 refuses them), and is
//! signed for region `auto` when none is configured; the endpoint comes from
//! `AWS_ENDPOINT_URL_S3` when `--endpoint` is not given, for both; the journal
//! signs with its own key.

use std::path::Path;
use std::process::Command;

use guardrail_testkit::header_proxy::{HeaderProxy, SeenRequest};
use guardrail_testkit::{tools, S3Server, ACCESS_KEY_ID};

const JOURNAL_KEY: &str = "AKIAJOURNALWRITER000";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/states")
            .join(name),
    )
    .unwrap()
}

/// Header names or values R2 refuses.
fn refused(request: &SeenRequest) -> Vec<String> {
    request
        .headers
        .iter()
        .filter(|(name, value)| {
            name.starts_with("x-amz-checksum-")
                || name.starts_with("x-amz-sdk-checksum-algorithm")
                || name.starts_with("x-amz-trailer")
                || value.to_ascii_lowercase().contains("aws-chunked")
                || value.to_ascii_uppercase().starts_with("STREAMING-")
        })
        .map(|(name, value)| format!("{name}: {value}"))
        .collect()
}

#[tokio::test]
async fn the_state_reader_and_the_journal_connect_like_the_store() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    server
        .client()
        .await
        .put_object()
        .bucket(&bucket)
        .key("prod/cluster.tfstate")
        .body(fixture("cluster.tfstate").into())
        .send()
        .await
        .expect("seed the state");
    let proxy = HeaderProxy::start(&server);
    let home = tempfile::tempdir().unwrap();
    let absent = home.path().join("absent");
    let target = format!("s3://{bucket}/prod/");
    let journal = format!("s3://{bucket}/journal/");
    // Twice: the second run reads the journal object the first one wrote.
    for run in ["first", "second"] {
        let output = Command::new(tools::tfaudit_bin())
            .args(["state", &target, "--journal", &journal, "--format", "json"])
            .envs(server.env())
            .env("AWS_ENDPOINT_URL_S3", proxy.endpoint())
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_REQUEST_CHECKSUM_CALCULATION")
            .env_remove("AWS_RESPONSE_CHECKSUM_VALIDATION")
            .env_remove("TFAUDIT_JOURNAL_ENDPOINT")
            .env("TFAUDIT_JOURNAL_ACCESS_KEY_ID", JOURNAL_KEY)
            .env("TFAUDIT_JOURNAL_SECRET_ACCESS_KEY", "journal-writer-secret")
            .env("HOME", home.path())
            .env("AWS_CONFIG_FILE", &absent)
            .env("AWS_SHARED_CREDENTIALS_FILE", &absent)
            .output()
            .expect("run tfaudit");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{run} run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let requests = proxy.requests();
    let journal_path = format!("/{bucket}/journal/");
    let is_journal = |request: &SeenRequest| {
        request.path.starts_with(&journal_path) || request.path.contains("prefix=journal")
    };
    let is_state = |request: &SeenRequest| {
        request.path.starts_with(&format!("/{bucket}/prod/"))
            || request.path.contains("prefix=prod")
    };
    let state_reads = requests.iter().filter(|r| is_state(r)).count();
    let journal_writes = requests
        .iter()
        .filter(|r| r.method == "PUT" && is_journal(r))
        .count();
    let journal_reads = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with(&journal_path))
        .count();
    assert!(
        state_reads >= 4 && journal_writes == 2 && journal_reads >= 1,
        "expected listings and reads of the states and the journal, and two journal \
         writes: {requests:#?}"
    );
    for request in &requests {
        assert!(
            request.path.starts_with(&format!("/{bucket}")),
            "not path-style: {} {}",
            request.method,
            request.path
        );
        assert_eq!(
            refused(request),
            Vec::<String>::new(),
            "R2 refuses these headers of {} {}",
            request.method,
            request.path
        );
        let authorization = request
            .header("authorization")
            .unwrap_or_else(|| panic!("unsigned: {} {}", request.method, request.path));
        assert!(
            authorization.contains("/auto/s3/aws4_request"),
            "not signed for region auto: {authorization}"
        );
        let key = if is_journal(request) {
            JOURNAL_KEY
        } else {
            assert!(is_state(request), "neither state nor journal: {request:?}");
            ACCESS_KEY_ID
        };
        assert!(
            authorization.contains(&format!("Credential={key}/")),
            "{} {} is not signed with {key}: {authorization}",
            request.method,
            request.path
        );
        if request.method == "PUT" {
            assert_eq!(
                request.header("if-none-match"),
                Some("*"),
                "a journal write never overwrites: {request:?}"
            );
        }
        assert!(
            !matches!(request.method.as_str(), "PUT" | "DELETE" | "POST") || is_journal(request),
            "the state bucket is only read: {request:?}"
        );
    }
}
