//! `tfaudit state` against a real S3 server (moto): prefixes, lockfiles, an
//! unreadable object among good ones, and the S3 journal.

use std::path::Path;
use std::process::{Command, Output};

use guardrail_testkit::{tools, S3Server};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/states")
            .join(name),
    )
    .unwrap()
}

async fn put(server: &S3Server, bucket: &str, key: &str, body: Vec<u8>) {
    server
        .client()
        .await
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(body.into())
        .send()
        .await
        .unwrap_or_else(|error| panic!("seed {key}: {error:?}"));
}

fn edited(name: &str, edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut state: Value = serde_json::from_slice(&fixture(name)).unwrap();
    edit(&mut state);
    serde_json::to_vec(&state).unwrap()
}

fn tfaudit(server: &S3Server, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(tools::tfaudit_bin());
    command.args(args).envs(server.env());
    for (key, value) in extra_env {
        command.env(key, value);
    }
    command.output().expect("run tfaudit")
}

fn findings(output: &Output) -> Vec<(String, String, String)> {
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut findings: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["address"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    findings.sort();
    findings
}

fn lock_record(id: &str, who: &str, age: chrono::Duration) -> Vec<u8> {
    serde_json::json!({
        "ID": id, "Operation": "OperationTypeApply", "Info": "", "Who": who, "Version": "1.11.4",
        "Created": (chrono::Utc::now() - age).to_rfc3339(), "Path": "tf/prod/cluster.tfstate"
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn a_prefix_is_audited_object_by_object() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    put(
        &server,
        &bucket,
        "prod/cluster.tfstate",
        fixture("cluster.tfstate"),
    )
    .await;
    put(
        &server,
        &bucket,
        "prod/cluster.tfstate.tflock",
        lock_record("lock-old", "alice@laptop", chrono::Duration::hours(5)),
    )
    .await;
    put(
        &server,
        &bucket,
        "prod/edge.tfstate",
        edited("cluster.tfstate", |s| {
            s["terraform_version"] = "1.10.5".into()
        }),
    )
    .await;
    put(
        &server,
        &bucket,
        "prod/edge.tfstate.tflock",
        lock_record("lock-fresh", "bob@ci", chrono::Duration::minutes(5)),
    )
    .await;
    put(
        &server,
        &bucket,
        "prod/broken.tfstate",
        b"{\"version\": 4, \"serial\":".to_vec(),
    )
    .await;
    put(&server, &bucket, "prod/README.md", b"not a state".to_vec()).await;
    put(
        &server,
        &bucket,
        "staging/other.tfstate",
        fixture("mixed/empty.tfstate"),
    )
    .await;

    let target = format!("s3://{bucket}/prod/");
    let output = tfaudit(
        &server,
        &["state", &target, "--format", "json", "--concurrency", "2"],
        &[],
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let found = findings(&output);
    let rules_and_addresses: Vec<(&str, String)> = found
        .iter()
        .map(|(rule, address, _)| (rule.as_str(), address.clone()))
        .collect();
    assert_eq!(
        rules_and_addresses,
        [
            (
                "state/stale-lock",
                format!("s3://{bucket}/prod/cluster.tfstate")
            ),
            (
                "state/unreadable",
                format!("s3://{bucket}/prod/broken.tfstate")
            ),
            ("state/version-skew", format!("s3://{bucket}")),
        ]
    );
    assert!(
        found[0]
            .2
            .contains("lock lock-old held by alice@laptop for 5h00m (operation OperationTypeApply"),
        "{}",
        found[0].2
    );
    assert!(
        found[2].2.contains("1.10.5 in s3://") && found[2].2.contains("1.11.4 in s3://"),
        "{}",
        found[2].2
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["states"], 2);
    assert_eq!(report["summary"]["locks"], 2);

    // One object by key; its missing lockfile is not a problem.
    let one = format!("s3://{bucket}/staging/other.tfstate");
    let output = tfaudit(&server, &["state", &one, "--format", "json"], &[]);
    assert_eq!(
        findings(&output)
            .iter()
            .map(|f| f.0.as_str())
            .collect::<Vec<_>>(),
        ["state/empty"]
    );

    // A key that does not exist is an unreadable state; a bucket that does not exist stops the run.
    let absent = format!("s3://{bucket}/prod/absent.tfstate");
    let output = tfaudit(&server, &["state", &absent, "--format", "json"], &[]);
    assert_eq!(
        findings(&output)[0].2,
        "cannot read the state: no such object"
    );
    let output = tfaudit(&server, &["state", "s3://no-such-bucket/prod/"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("s3://no-such-bucket/prod/: cannot list objects"));
}

#[tokio::test]
async fn an_s3_journal_keeps_one_object_per_run_and_catches_rollbacks() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    let journal_bucket = format!("{bucket}-journal");
    server.create_bucket(&journal_bucket).unwrap();
    let endpoint = server.endpoint();
    let journal_env = [
        ("TFAUDIT_JOURNAL_ACCESS_KEY_ID", "AKIAJOURNALWRITER000"),
        ("TFAUDIT_JOURNAL_SECRET_ACCESS_KEY", "journal-writer-secret"),
        ("TFAUDIT_JOURNAL_ENDPOINT", endpoint.as_str()),
    ];
    let target = format!("s3://{bucket}/prod/cluster.tfstate");
    let journal = format!("s3://{journal_bucket}/history/");
    let run = || {
        tfaudit(
            &server,
            &["state", &target, "--journal", &journal, "--format", "json"],
            &journal_env,
        )
    };

    put(
        &server,
        &bucket,
        "prod/cluster.tfstate",
        fixture("cluster.tfstate"),
    )
    .await;
    let first = run();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(findings(&first).is_empty());

    put(
        &server,
        &bucket,
        "prod/cluster.tfstate",
        edited("cluster.tfstate", |s| s["serial"] = 43.into()),
    )
    .await;
    assert!(findings(&run()).is_empty());

    put(
        &server,
        &bucket,
        "prod/cluster.tfstate",
        fixture("cluster.tfstate"),
    )
    .await;
    let rolled_back = run();
    assert_eq!(rolled_back.status.code(), Some(1));
    let found = findings(&rolled_back);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "state/serial-regression");
    assert!(
        found[0].2.starts_with("serial 42 is lower than serial 43"),
        "{}",
        found[0].2
    );

    let client = server.client().await;
    let listed = client
        .list_objects_v2()
        .bucket(&journal_bucket)
        .prefix("history/")
        .send()
        .await
        .unwrap();
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().all(|key| key.ends_with(".jsonl")));
    let record: Value =
        serde_json::from_slice(&server_get(&client, &journal_bucket, keys[0]).await).unwrap();
    assert_eq!(record["key"], target.as_str());
    assert_eq!(record["serial"], 42);
    assert!(record["etag"]
        .as_str()
        .is_some_and(|etag| !etag.is_empty() && !etag.contains('"')));
    // The state bucket received nothing but the states themselves.
    let state_keys: Vec<String> = server.keys().await;
    assert_eq!(state_keys, ["prod/cluster.tfstate"]);
}

async fn server_get(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes()
        .to_vec()
}

/// The signing region of every request moto recorded for `bucket`, read from the
/// credential scope of its `Authorization` header.
fn signed_regions(recording: &Path, bucket: &str) -> Vec<String> {
    let text = std::fs::read_to_string(recording).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|entry| {
            entry["url"]
                .as_str()
                .is_some_and(|url| url.contains(&format!("/{bucket}")))
        })
        .map(|entry| {
            let authorization = entry["headers"]["Authorization"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            // Credential=KEY/DATE/REGION/s3/aws4_request
            authorization
                .split("Credential=")
                .nth(1)
                .and_then(|scope| scope.split('/').nth(2))
                .unwrap_or("(unsigned)")
                .to_owned()
        })
        .collect()
}

/// A case name, the environment it sets, and the region requests must be signed for.
type RegionCase<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

/// R2 users get `auto` when they configure no region; a region they did
/// configure (environment first, then their profile) is never overridden.
#[tokio::test]
async fn the_region_is_the_users_when_configured_and_auto_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("requests.jsonl");
    let server = S3Server::start_with_env(&[
        ("MOTO_ENABLE_RECORDING", "true"),
        ("MOTO_RECORDER_FILEPATH", recording.to_str().unwrap()),
    ]);
    let bucket = server.bucket().to_owned();
    put(
        &server,
        &bucket,
        "prod/cluster.tfstate",
        fixture("cluster.tfstate"),
    )
    .await;
    let config_file = dir.path().join("aws-config");
    std::fs::write(
        &config_file,
        "[default]\nregion = eu-central-1\n\n[profile r2]\nregion = auto\n\n[profile aws]\nregion = eu-west-3\n",
    )
    .unwrap();
    let no_config = dir.path().join("absent-aws-config");
    let target = format!("s3://{bucket}/prod/cluster.tfstate");
    let config = config_file.to_str().unwrap();
    let cases: [RegionCase; 5] = [
        (
            "nothing configured",
            &[("AWS_CONFIG_FILE", no_config.to_str().unwrap())],
            "auto",
        ),
        (
            "the default profile",
            &[("AWS_CONFIG_FILE", config)],
            "eu-central-1",
        ),
        (
            "an R2 profile",
            &[("AWS_CONFIG_FILE", config), ("AWS_PROFILE", "r2")],
            "auto",
        ),
        (
            "an AWS profile",
            &[("AWS_CONFIG_FILE", config), ("AWS_PROFILE", "aws")],
            "eu-west-3",
        ),
        (
            "AWS_REGION over the profile",
            &[
                ("AWS_CONFIG_FILE", config),
                ("AWS_PROFILE", "aws"),
                ("AWS_REGION", "us-east-1"),
            ],
            "us-east-1",
        ),
    ];
    for (case, env, expected) in cases {
        std::fs::write(&recording, "").unwrap();
        let mut command = Command::new(tools::tfaudit_bin());
        command
            .args(["state", &target, "--format", "json"])
            .envs(server.env())
            .env_remove("AWS_REGION")
            .env_remove("AWS_DEFAULT_REGION")
            .env_remove("AWS_PROFILE")
            .env("HOME", dir.path())
            .env("AWS_SHARED_CREDENTIALS_FILE", no_config.to_str().unwrap());
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().expect("run tfaudit");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{case}: {stderr}");
        assert_eq!(
            findings(&output),
            [],
            "{case}: the state was read and is clean"
        );
        let regions = signed_regions(&recording, &bucket);
        assert!(!regions.is_empty(), "{case}: moto recorded no request");
        assert!(
            regions.iter().all(|region| region == expected),
            "{case}: signed for {regions:?}, expected {expected}"
        );
    }
}

/// `--endpoint` reaches the server without AWS_ENDPOINT_URL_S3, and wins over it.
#[tokio::test]
async fn an_explicit_endpoint_is_used() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    put(
        &server,
        &bucket,
        "prod/empty.tfstate",
        fixture("mixed/empty.tfstate"),
    )
    .await;
    let target = format!("s3://{bucket}/prod/");
    let endpoint = server.endpoint();
    let unreachable = "http://127.0.0.1:9";
    for env_endpoint in [None, Some(unreachable)] {
        let mut command = Command::new(tools::tfaudit_bin());
        command
            .args([
                "state",
                &target,
                "--endpoint",
                &endpoint,
                "--format",
                "json",
            ])
            .envs(server.env())
            .env_remove("AWS_ENDPOINT_URL_S3");
        if let Some(value) = env_endpoint {
            command.env("AWS_ENDPOINT_URL_S3", value);
        }
        let output = command.output().expect("run tfaudit");
        assert_eq!(
            findings(&output)
                .iter()
                .map(|f| (f.0.as_str(), f.1.as_str()))
                .collect::<Vec<_>>(),
            [(
                "state/empty",
                format!("s3://{bucket}/prod/empty.tfstate").as_str()
            )],
            "AWS_ENDPOINT_URL_S3={env_endpoint:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // An unreachable --endpoint is not swapped for the environment's: exit 2.
    let output = Command::new(tools::tfaudit_bin())
        .args(["state", &target, "--endpoint", unreachable])
        .envs(server.env())
        .output()
        .expect("run tfaudit");
    assert_eq!(output.status.code(), Some(2));
}
