//! `--llm-endpoint`: off by default, and when on, what reaches the endpoint is
//! counts, rule ids and redacted messages. A capture server stands in for the
//! OpenAI-compatible API and records every byte it is sent; none of the state's
//! secret values, the S3 credentials or the advisor's own tokens are among them.

#[path = "support/advisor.rs"]
mod advisor;
#[path = "support/cli.rs"]
mod cli;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use advisor::Advisor;
use guardrail_testkit::S3Server;
use serde_json::Value;

const API_TOKEN: &str = "advisor-api-token-4242";

/// Answers every request with one chat completion and keeps what it was sent.
fn capture_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8).flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            record
                .lock()
                .unwrap()
                .push(format!("{head}\r\n{}", String::from_utf8_lossy(&body)));
            let answer = r#"{"choices":[{"message":{"role":"assistant","content":"Production has secrets in its state."}}]}"#;
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (address, seen)
}

/// Every string value in the state's outputs and resource attributes.
fn values(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) if text.len() >= 6 => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|v| values(v, out)),
        Value::Object(map) => map.values().for_each(|v| values(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_endpoint_sends_no_sensitive_value() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    let leaky = std::fs::read(cli::data("states/mixed/leaky.tfstate")).unwrap();
    server
        .client()
        .await
        .put_object()
        .bucket(&bucket)
        .key("production/leaky.tfstate")
        .body(leaky.clone().into())
        .send()
        .await
        .unwrap();
    let target = format!("production=s3://{bucket}/production/");

    // Off by default: the summary is the facts alone, nothing is sent anywhere.
    let advisor = Advisor::start(&["--target", &target], &server.env());
    advisor.wait_ready();
    let off = advisor.get("/api/v1/summary").json();
    assert_eq!(off["llm"], "disabled");
    drop(advisor);

    let (endpoint, seen) = capture_server();
    let mut env = server.env();
    env.push(("TFAUDIT_SERVE_API_TOKEN".into(), API_TOKEN.into()));
    let advisor = Advisor::start(&["--target", &target, "--llm-endpoint", &endpoint], &env);
    advisor.wait_ready();
    let bearer = format!("Bearer {API_TOKEN}");
    let answer = advisor.request("GET", "/api/v1/summary", &[("Authorization", &bearer)], b"");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let summary = answer.json();
    assert_eq!(summary["llm"], "used");
    assert_eq!(summary["summary"], "Production has secrets in its state.");

    let sent = seen.lock().unwrap().join("\n");
    assert!(sent.contains("POST /v1/chat/completions"), "{sent}");
    assert!(
        sent.contains("state/secret-in-attributes"),
        "the facts were sent: {sent}"
    );
    let state: Value = serde_json::from_slice(&leaky).unwrap();
    let mut secrets = Vec::new();
    values(&state["outputs"], &mut secrets);
    for resource in state["resources"].as_array().unwrap() {
        for instance in resource["instances"].as_array().unwrap() {
            values(&instance["attributes"], &mut secrets);
        }
    }
    secrets.extend([
        API_TOKEN.to_owned(),
        guardrail_testkit::SECRET_ACCESS_KEY.to_owned(),
        guardrail_testkit::ACCESS_KEY_ID.to_owned(),
    ]);
    assert!(
        secrets.iter().any(|s| s.starts_with("ghp_")),
        "the fixture holds a token"
    );
    for secret in &secrets {
        assert!(
            !sent.contains(secret.as_str()),
            "`{secret}` reached the endpoint:\n{sent}"
        );
        assert!(
            !answer.body.contains(secret.as_str()),
            "`{secret}` in the answer"
        );
    }
}
