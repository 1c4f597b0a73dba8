//! The state audit needs nothing but read access. moto enforces IAM after the
//! setup requests; the audit then runs with a user allowed only `s3:Get*` and
//! `s3:List*`, and every finding still comes out. The same credentials are
//! refused a write, so the test would notice if IAM were not enforced.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output};

use guardrail_testkit::{tools, S3Server};
use serde_json::Value;

const READ_ONLY_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#;
const WRITER_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;

/// Objects seeded before IAM is enforced.
const SEEDS: usize = 5;
/// Requests moto serves without authentication: the two buckets, six IAM calls
/// (two users, each with a policy and an access key) and the seeds.
const SETUP_REQUESTS: usize = 2 + 6 + SEEDS;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/states")
            .join(name),
    )
    .unwrap()
}

/// One IAM query-API call (form POST), as any AWS SDK sends it. During the setup
/// window moto does not check the signature, only reads the service from it.
fn iam(endpoint: &str, params: &[(&str, &str)]) -> String {
    let address = endpoint.trim_start_matches("http://");
    let mut body = String::from("Version=2010-05-08");
    for (key, value) in params {
        body.push_str(&format!("&{key}={}", encode(value)));
    }
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIASETUP00000000000/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=00\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(address).expect("connect to moto");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 200"),
        "IAM {params:?}: {response}"
    );
    response
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).map(|i| i + open.len()).expect(open);
    let end = text[start..].find(close).expect(close);
    &text[start..start + end]
}

/// Creates a user with an inline policy and returns its access key pair.
fn user(endpoint: &str, name: &str, policy: &str) -> (String, String) {
    iam(endpoint, &[("Action", "CreateUser"), ("UserName", name)]);
    iam(
        endpoint,
        &[
            ("Action", "PutUserPolicy"),
            ("UserName", name),
            ("PolicyName", "s3"),
            ("PolicyDocument", policy),
        ],
    );
    let created = iam(
        endpoint,
        &[("Action", "CreateAccessKey"), ("UserName", name)],
    );
    (
        between(&created, "<AccessKeyId>", "</AccessKeyId>").to_owned(),
        between(&created, "<SecretAccessKey>", "</SecretAccessKey>").to_owned(),
    )
}

async fn client_with(
    server: &S3Server,
    (access_key, secret_key): &(String, String),
) -> aws_sdk_s3::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("auto"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            access_key, secret_key, None, None, "test",
        ))
        .endpoint_url(server.endpoint())
        .load()
        .await;
    let config = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

fn audit(
    server: &S3Server,
    reader: &(String, String),
    writer: &(String, String),
    journal: &str,
) -> Output {
    // Whole buckets: moto 5.2 miscomputes signatures of list queries whose
    // `prefix` holds an encoded `/`, which real S3 and R2 accept.
    let target = format!("s3://{}", server.bucket());
    Command::new(tools::tfaudit_bin())
        .args(["state", &target, "--journal", journal, "--format", "json"])
        .envs(server.env())
        .env("AWS_ACCESS_KEY_ID", &reader.0)
        .env("AWS_SECRET_ACCESS_KEY", &reader.1)
        .env("TFAUDIT_JOURNAL_ACCESS_KEY_ID", &writer.0)
        .env("TFAUDIT_JOURNAL_SECRET_ACCESS_KEY", &writer.1)
        .output()
        .expect("run tfaudit")
}

fn rules(output: &Output) -> Vec<String> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut rules: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    rules.sort();
    rules
}

#[tokio::test]
async fn the_audit_needs_only_read_access() {
    let count = SETUP_REQUESTS.to_string();
    let server = S3Server::start_with_env(&[("INITIAL_NO_AUTH_ACTION_COUNT", count.as_str())]);
    let bucket = server.bucket().to_owned();
    let journal_bucket = format!("{bucket}-journal");
    server.create_bucket(&journal_bucket).unwrap();
    let endpoint = server.endpoint();
    let reader = user(&endpoint, "state-reader", READ_ONLY_POLICY);
    let writer = user(&endpoint, "journal-writer", WRITER_POLICY);

    let seed = server.client().await;
    let created = (chrono::Utc::now() - chrono::Duration::hours(6)).to_rfc3339();
    let lock = format!(
        r#"{{"ID":"11111111-2222-4333-8444-555555555555","Operation":"OperationTypeApply","Info":"","Who":"ci@runner-3","Version":"1.11.4","Created":"{created}","Path":"x"}}"#
    );
    let objects: [(&str, Vec<u8>); SEEDS] = [
        ("prod/cluster.tfstate", fixture("cluster.tfstate")),
        ("prod/cluster.tfstate.tflock", lock.into_bytes()),
        ("prod/leaky.tfstate", fixture("mixed/leaky.tfstate")),
        ("prod/tainted.tfstate", fixture("mixed/tainted.tfstate")),
        ("prod/empty.tfstate", fixture("mixed/empty.tfstate")),
    ];
    for (key, body) in objects {
        seed.put_object()
            .bucket(&bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap();
    }

    // IAM is enforced from here on: the reader may read, not write.
    let reader_client = client_with(&server, &reader).await;
    let denied = reader_client
        .put_object()
        .bucket(&bucket)
        .key("prod/written-by-reader.tfstate")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .expect_err("a read-only user must not write");
    let code = denied
        .as_service_error()
        .and_then(|e| aws_sdk_s3::error::ProvideErrorMetadata::code(e))
        .map(str::to_owned);
    assert_eq!(code.as_deref(), Some("AccessDenied"), "{denied:?}");

    let journal = format!("s3://{journal_bucket}");
    let output = audit(&server, &reader, &writer, &journal);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        rules(&output),
        [
            "state/deposed",
            "state/empty",
            "state/output-secret-not-sensitive",
            "state/output-secret-not-sensitive",
            "state/secret-in-attributes",
            "state/secret-in-attributes",
            "state/stale-lock",
            "state/tainted",
            "state/version-skew",
        ]
    );

    // Someone with write access rolls the cluster state back; the journal, written
    // with its own credentials, catches it on the next read-only audit.
    let writer_client = client_with(&server, &writer).await;
    let mut rolled_back: Value = serde_json::from_slice(&fixture("cluster.tfstate")).unwrap();
    rolled_back["serial"] = 41.into();
    writer_client
        .put_object()
        .bucket(&bucket)
        .key("prod/cluster.tfstate")
        .body(serde_json::to_vec(&rolled_back).unwrap().into())
        .send()
        .await
        .unwrap();
    let output = audit(&server, &reader, &writer, &journal);
    assert!(
        rules(&output).contains(&"state/serial-regression".to_owned()),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // With the reader's keys as journal keys, the journal write is refused: exit 2.
    let output = audit(&server, &reader, &reader, &journal);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    assert!(
        !stderr.contains(&reader.1),
        "the secret key must never be printed"
    );
}
