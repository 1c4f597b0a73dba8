//! Configure refuses a store endpoint that silently overwrites objects
//! (ignores If-None-Match), and a configuration without a store block fails
//! clearly where a store is needed.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{assert_mentions, REQUIRED_PROVIDERS};
use guardrail_testkit::TerraformDir;

/// An "S3" endpoint that answers 200 to everything: every conditional write
/// "succeeds", so it would let two writers both believe they won.
struct AlwaysOkServer {
    port: u16,
    requests: Arc<AtomicUsize>,
}

impl AlwaysOkServer {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream);
                let mut content_length = 0usize;
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        content_length = value.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0u8; content_length];
                let _ = reader.read_exact(&mut body);
                let mut stream = reader.into_inner();
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nETag: \"0123456789abcdef\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        AlwaysOkServer { port, requests }
    }
}

/// A gate whose store is the endpoint on `port`, with credentials that work nowhere.
fn gate_against(port: u16) -> TerraformDir {
    let dir = TerraformDir::new()
        .with_env("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
        .with_env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        .with_env("AWS_REGION", "auto")
        .with_env("AWS_EC2_METADATA_DISABLED", "true");
    dir.write(
        "main.tf",
        &format!(
            r#"{REQUIRED_PROVIDERS}
provider "guardrail" {{
  environment = "production"
  store {{
    bucket   = "guardrails"
    endpoint = "http://127.0.0.1:{port}"
  }}
}}

resource "guardrail_change_gate" "production" {{
  environment = "production"
}}
"#,
        ),
    );
    dir
}

#[test]
fn an_endpoint_that_ignores_if_none_match_is_refused() {
    let fake = AlwaysOkServer::start();
    let dir = gate_against(fake.port);
    let output = dir.run(&["plan", "-input=false"]);
    output.assert_failure();
    assert_mentions(
        &output,
        &[
            "The store does not honour conditional writes",
            "If-None-Match",
        ],
    );
    assert!(
        fake.requests.load(Ordering::SeqCst) > 0,
        "the provider never talked to the endpoint"
    );
}

#[test]
fn an_unreachable_endpoint_is_reported_as_unreachable() {
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = gate_against(port);
    let output = dir.run(&["plan", "-input=false"]);
    output.assert_failure();
    assert_mentions(
        &output,
        &["Cannot reach the guardrail store", "connection refused"],
    );
    let text = common::flat(&output);
    assert!(
        !text.contains("does not honour conditional writes") && !text.contains("DispatchFailure"),
        "{text}"
    );
}

#[test]
fn resources_needing_the_store_say_a_store_block_is_required() {
    let dir = TerraformDir::new();
    dir.write(
        "main.tf",
        &format!(
            r#"{REQUIRED_PROVIDERS}
provider "guardrail" {{
  environment = "production"
}}

resource "guardrail_change_gate" "production" {{
  environment = "production"
}}
"#
        ),
    );
    let output = dir.run(&["plan", "-input=false"]);
    output.assert_failure();
    assert_mentions(&output, &["A store block is required", "store {"]);
}

#[test]
fn a_store_known_only_after_apply_defers_the_checks_at_plan_time() {
    let dir = TerraformDir::new();
    dir.write(
        "main.tf",
        &format!(
            r#"{REQUIRED_PROVIDERS}
resource "terraform_data" "bucket" {{
  input = "guardrails"
}}

provider "guardrail" {{
  environment = "production"
  store {{
    bucket = terraform_data.bucket.output
  }}
}}

resource "guardrail_change_gate" "production" {{
  environment = "production"
}}
"#
        ),
    );
    let output = dir.run(&["plan", "-input=false"]);
    output.assert_success();
    assert_mentions(
        &output,
        &[
            "guardrail_change_gate.production will be created",
            "plan_id",
        ],
    );
}
