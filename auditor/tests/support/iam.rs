//! IAM on the local S3 server (moto) for the read-only proofs: users with an
//! inline policy, and S3 clients that act as them.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;

use guardrail_testkit::S3Server;

/// One IAM query-API call (form POST), as any AWS SDK sends it. During the setup
/// window moto does not check the signature, only reads the service from it.
pub fn iam(endpoint: &str, params: &[(&str, &str)]) -> String {
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

pub fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).map(|i| i + open.len()).expect(open);
    let end = text[start..].find(close).expect(close);
    &text[start..start + end]
}

/// Creates a user with an inline policy and returns its access key pair.
pub fn user(endpoint: &str, name: &str, policy: &str) -> (String, String) {
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

pub async fn client_with(
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
