//! The state audit needs nothing but read access, and every finding still comes
//! out. moto enforces IAM after the setup requests; the audit then runs with a
//! user allowed only `s3:Get*` and `s3:List*` on the state bucket (and denied one
//! object outright), while the journal is written with a second user whose policy
//! covers the journal bucket and nothing else. The same credentials are refused a
//! write, so the test would notice if IAM were not enforced, and the state bucket
//! is listed with ETags before and after: byte for byte unchanged.
//!
//! The audit covers whole buckets, and the journal lives in a bucket of its own,
//! because moto 5.2 with IAM enforced refuses every list request whose `prefix`
//! holds a `/` (which the SDK sends encoded as `%2F`) with `SignatureDoesNotMatch`:
//! it recomputes the signature over a differently encoded query. Real S3 and R2
//! accept those requests; `state_s3.rs` audits prefixes on moto without IAM.

#[path = "support/iam.rs"]
mod iam;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use guardrail_testkit::{tools, S3Server};
use serde_json::{json, Value};
use sha2::Digest;

use iam::{client_with, user};

/// The object the reader's policy denies, which the audit must report as
/// unreadable without stopping.
const RESTRICTED: &str = "prod/restricted.tfstate";

fn reader_policy(bucket: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"],
         "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]},
        {"Effect": "Deny", "Action": "s3:GetObject",
         "Resource": format!("arn:aws:s3:::{bucket}/{RESTRICTED}")}
    ]})
    .to_string()
}

/// The journal writer may list, read and create journal objects: nothing else,
/// nowhere else.
fn journal_writer_policy(journal_bucket: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": format!("arn:aws:s3:::{journal_bucket}")},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
         "Resource": format!("arn:aws:s3:::{journal_bucket}/*")}
    ]})
    .to_string()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/states")
            .join(name),
    )
    .unwrap()
}

fn audit(
    server: &S3Server,
    reader: &(String, String),
    writer: &(String, String),
    journal: &str,
) -> Output {
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

fn findings(output: &Output) -> Vec<(String, String)> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

/// Every object of the bucket with its ETag, size and modification time.
async fn listing(client: &aws_sdk_s3::Client, bucket: &str) -> BTreeMap<String, String> {
    let mut objects = BTreeMap::new();
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for object in page.expect("list the state bucket").contents() {
            objects.insert(
                object.key().unwrap_or_default().to_owned(),
                format!(
                    "etag={} size={} modified={:?}",
                    object.e_tag().unwrap_or_default(),
                    object.size().unwrap_or_default(),
                    object.last_modified()
                ),
            );
        }
    }
    objects
}

async fn body(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let object = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|error| panic!("get {key}: {error:?}"));
    object.body.collect().await.unwrap().into_bytes().to_vec()
}

/// The method and URL of every request moto recorded for `bucket` (path-style).
fn requests_to(recording: &Path, bucket: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(recording).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|entry| {
            let url = entry["url"].as_str()?.to_owned();
            let path = url.split("://").nth(1)?.split_once('/')?.1;
            let first = path.split(['/', '?']).next()?;
            (first == bucket).then(|| (entry["method"].as_str().unwrap_or("").to_owned(), url))
        })
        .collect()
}

fn error_code<E>(error: &aws_sdk_s3::error::SdkError<E>) -> Option<String>
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| aws_sdk_s3::error::ProvideErrorMetadata::code(e))
        .map(str::to_owned)
}

#[tokio::test]
async fn the_audit_needs_only_read_access_and_every_finding_still_comes_out() {
    let cluster: Value = serde_json::from_slice(&fixture("cluster.tfstate")).unwrap();
    let lineage = cluster["lineage"].as_str().unwrap().to_owned();
    let serial = cluster["serial"].as_u64().unwrap();
    let created = (chrono::Utc::now() - chrono::Duration::hours(6)).to_rfc3339();
    let lock = json!({"ID": "11111111-2222-4333-8444-555555555555",
        "Operation": "OperationTypeApply", "Info": "", "Who": "ci@runner-3",
        "Version": "1.11.4", "Created": created, "Path": "prod/cluster.tfstate"});
    let mut network = cluster.clone();
    network["lineage"] = "0a0a0a0a-1b1b-4c2c-8d3d-4e4e4e4e4e4e".into();
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("prod/cluster.tfstate", fixture("cluster.tfstate")),
        ("prod/cluster.tfstate.tflock", lock.to_string().into_bytes()),
        ("prod/leaky.tfstate", fixture("mixed/leaky.tfstate")),
        ("prod/tainted.tfstate", fixture("mixed/tainted.tfstate")),
        ("prod/empty.tfstate", fixture("mixed/empty.tfstate")),
        ("prod/broken.tfstate", fixture("mixed/broken.tfstate")),
        (RESTRICTED, fixture("mixed/tainted.tfstate")),
        (
            "prod/network.tfstate",
            serde_json::to_vec(&network).unwrap(),
        ),
    ];
    // Requests moto serves without authentication: the two buckets, six IAM calls
    // (two users, each with a policy and an access key), the seeds and the journal.
    let setup_requests = 2 + 6 + seeds.len() + 1;
    let count = setup_requests.to_string();
    // moto records every request it serves, to show what the audit sent.
    let scratch = tempfile::tempdir().unwrap();
    let recording = scratch.path().join("requests.jsonl");
    let server = S3Server::start_with_env(&[
        ("INITIAL_NO_AUTH_ACTION_COUNT", count.as_str()),
        ("MOTO_ENABLE_RECORDING", "true"),
        ("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap()),
    ]);
    let bucket = server.bucket().to_owned();
    let journal_bucket = format!("{bucket}-journal");
    server.create_bucket(&journal_bucket).unwrap();
    let endpoint = server.endpoint();
    let reader = user(&endpoint, "state-reader", &reader_policy(&bucket));
    let writer = user(
        &endpoint,
        "journal-writer",
        &journal_writer_policy(&journal_bucket),
    );

    let seed = server.client().await;
    for (key, body) in &seeds {
        seed.put_object()
            .bucket(&bucket)
            .key(*key)
            .body(body.clone().into())
            .send()
            .await
            .unwrap();
    }
    // What earlier runs recorded: the cluster at a higher serial (it has since
    // been rolled back) and the network state under another lineage (replaced).
    let origin = |key: &str| format!("s3://{bucket}/{key}");
    let record = |key: &str, lineage: &str, serial: u64| {
        json!({"key": origin(key), "lineage": lineage, "serial": serial,
            "sha256": "0".repeat(64), "etag": null, "resources": 12,
            "seen_at": "2026-11-01T08:00:00Z"})
        .to_string()
    };
    let history = format!(
        "{}\n{}\n",
        record("prod/cluster.tfstate", &lineage, serial + 5),
        record(
            "prod/network.tfstate",
            "5f5f5f5f-6e6e-4d7d-8c8c-9b9b9b9b9b9b",
            serial
        )
    );
    seed.put_object()
        .bucket(&journal_bucket)
        .key("20261101T080000.000000Z-1-00000000.jsonl")
        .body(history.into_bytes().into())
        .send()
        .await
        .unwrap();

    // IAM is enforced from here on. The reader may read, not write; the journal
    // writer may touch the journal bucket only.
    let reader_client = client_with(&server, &reader).await;
    let writer_client = client_with(&server, &writer).await;
    let denied = reader_client
        .put_object()
        .bucket(&bucket)
        .key("prod/written-by-reader.tfstate")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .expect_err("a read-only user must not write");
    assert_eq!(
        error_code(&denied).as_deref(),
        Some("AccessDenied"),
        "{denied:?}"
    );
    let denied = writer_client
        .put_object()
        .bucket(&bucket)
        .key("prod/written-by-journal-writer.tfstate")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .expect_err("the journal writer must not write to the state bucket");
    assert_eq!(
        error_code(&denied).as_deref(),
        Some("AccessDenied"),
        "{denied:?}"
    );
    let denied = writer_client
        .get_object()
        .bucket(&bucket)
        .key("prod/cluster.tfstate")
        .send()
        .await
        .expect_err("the journal writer must not read states");
    assert_eq!(
        error_code(&denied).as_deref(),
        Some("AccessDenied"),
        "{denied:?}"
    );

    let before = listing(&reader_client, &bucket).await;
    assert_eq!(before.len(), seeds.len(), "{before:?}");

    let journal = format!("s3://{journal_bucket}");
    std::fs::write(&recording, "").unwrap();
    let output = audit(&server, &reader, &writer, &journal);
    let sent = requests_to(&recording, &bucket);
    assert!(
        !sent.is_empty(),
        "moto recorded no request to the state bucket"
    );
    assert!(
        sent.iter()
            .all(|(method, _)| method == "GET" || method == "HEAD"),
        "the audit may only list, head and get in the state bucket: {sent:?}"
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let at = |key: &str, inside: &str| {
        if inside.is_empty() {
            origin(key)
        } else {
            format!("{}#{inside}", origin(key))
        }
    };
    let mut expected: Vec<(String, String)> = [
        (
            "state/deposed",
            at("prod/tainted.tfstate", "hcloud_load_balancer.ingress"),
        ),
        ("state/empty", at("prod/empty.tfstate", "")),
        ("state/lineage-changed", at("prod/network.tfstate", "")),
        (
            "state/output-secret-not-sensitive",
            at("prod/leaky.tfstate", "output.admin_password"),
        ),
        (
            "state/output-secret-not-sensitive",
            at("prod/leaky.tfstate", "output.hcloud_token"),
        ),
        (
            "state/secret-in-attributes",
            at("prod/leaky.tfstate", "null_resource.bootstrap"),
        ),
        (
            "state/secret-in-attributes",
            at("prod/leaky.tfstate", "tls_private_key.ssh"),
        ),
        ("state/serial-regression", at("prod/cluster.tfstate", "")),
        ("state/stale-lock", at("prod/cluster.tfstate", "")),
        (
            "state/tainted",
            at("prod/tainted.tfstate", "hcloud_server.bastion"),
        ),
        ("state/unreadable", at("prod/broken.tfstate", "")),
        ("state/unreadable", at(RESTRICTED, "")),
        ("state/version-skew", format!("s3://{bucket}")),
    ]
    .into_iter()
    .map(|(rule, address)| (rule.to_owned(), address))
    .collect();
    expected.sort();
    let found = findings(&output);
    assert_eq!(
        found,
        expected,
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        report.contains("AccessDenied"),
        "the denied object says why: {report}"
    );

    // Every state rule fired at least once: nothing was lost to read-only access.
    let fired: std::collections::BTreeSet<&str> = found.iter().map(|f| f.0.as_str()).collect();
    for rule in tfaudit::state::rules::infos() {
        assert!(fired.contains(rule.id), "{} did not come out", rule.id);
    }

    // The state bucket is untouched: same objects, same ETags, same bytes.
    let after = listing(&reader_client, &bucket).await;
    assert_eq!(after, before);
    for (key, seeded) in &seeds {
        if *key != RESTRICTED {
            assert_eq!(
                sha2::Sha256::digest(body(&reader_client, &bucket, key).await),
                sha2::Sha256::digest(seeded),
                "{key} changed"
            );
        }
    }
    // The journal gained one object for this run.
    let journal_objects = listing(&writer_client, &journal_bucket).await;
    assert_eq!(journal_objects.len(), 2, "{journal_objects:?}");

    // With the reader's keys as journal keys, the journal is refused: exit 2.
    let output = audit(&server, &reader, &reader, &journal);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("AccessDenied"), "{stderr}");
    assert!(
        !stderr.contains(&reader.1),
        "the secret key must never be printed"
    );
    assert_eq!(listing(&reader_client, &bucket).await, before);
}
