//! The advisor under faults: a bad configuration stops it with exit code 2 and
//! a message naming the file and field; S3 answering 503 is counted and never
//! crashes it; a slow object becomes a finding while
//! the cycle completes; S3 killed mid-run leaves the last report served, marked
//! stale, with the errors counted; S3 restarted, it recovers by itself.

#[path = "support/advisor.rs"]
mod advisor;
#[path = "support/cli.rs"]
mod cli;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use advisor::Advisor;
use guardrail_testkit::header_proxy::HeaderProxy;
use guardrail_testkit::{tools, S3Server};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(cli::data("states").join(name)).unwrap()
}

async fn seed(client: &aws_sdk_s3::Client, bucket: &str) {
    for (key, body) in [
        ("prod/app.tfstate", fixture("cluster.tfstate")),
        ("prod/slow.tfstate", fixture("mixed/tainted.tfstate")),
    ] {
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .unwrap();
    }
}

/// A moto server started by hand; killed when dropped.
struct Moto(Child);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A moto server on `port` (the one that was killed), with `bucket` created.
fn restart_moto(port: u16, bucket: &str) -> Moto {
    let moto = Moto(
        Command::new(tools::moto_server_bin())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("restart moto"),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let created = Command::new("curl")
            .args([
                "-sf",
                "-X",
                "PUT",
                &format!("http://127.0.0.1:{port}/{bucket}"),
            ])
            .output()
            .is_ok_and(|o| o.status.success());
        if created {
            return moto;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "moto did not come back"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_bad_configuration_is_refused_with_exit_code_2_naming_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "interval = \"soon\"\n[environments.production]\ntargets = [\"s3://b/p/\"]\n",
            "field `interval`: expected a duration",
        ),
        (
            "listen = \"everywhere\"\n[environments.production]\ntargets = [\"s3://b/p/\"]\n",
            "field `listen`: expected an address",
        ),
        (
            "[environments.production]\ntargets = [\"./local\"]\n",
            "field `environments.production.targets`: expected an s3:// URL",
        ),
        (
            "[environments.\"Prod/../x\"]\ntargets = [\"s3://b/p/\"]\n",
            "field `environments.Prod/../x`",
        ),
        (
            "intervall = \"5m\"\n",
            "advisor.toml:1: unknown field `intervall`",
        ),
        (
            "",
            "field `environments`: expected at least one environment",
        ),
    ];
    for (text, expected) in cases {
        let path = cli::write(dir.path(), "advisor.toml", text);
        let output = cli::tfaudit()
            .args(["serve", "--config", path.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = cli::stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
        assert!(stderr.contains("advisor.toml"), "{stderr}");
        assert!(
            stderr.contains(expected),
            "{text}: expected `{expected}` in {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_object_is_a_finding_and_a_dead_s3_leaves_a_stale_report_until_it_returns() {
    let server = S3Server::start();
    let bucket = server.bucket().to_owned();
    let port: u16 = server
        .endpoint()
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    seed(&server.client().await, &bucket).await;
    let proxy = HeaderProxy::start(&server);
    // Every read of the slow state takes 3 s; the advisor waits 1 s per object.
    proxy.delay("GET", "slow.tfstate", Duration::from_secs(3));
    let mut env = server.env();
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL_S3");
    let target = format!("production=s3://{bucket}/prod/");
    let mut advisor = Advisor::start(
        &[
            "--target",
            &target,
            "--endpoint",
            &proxy.endpoint(),
            "--interval",
            "1s",
            "--object-timeout",
            "1s",
        ],
        &env,
    );
    advisor.wait_ready();
    let slow = advisor.get("/api/v1/findings?rule=state/unreadable").json();
    assert_eq!(slow["count"], 1, "{slow}");
    assert!(slow["findings"][0]["address"]
        .as_str()
        .unwrap()
        .ends_with("prod/slow.tfstate"));
    assert!(
        slow["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no answer within 1s"),
        "{slow}"
    );
    proxy.clear_delays();
    let before = advisor.get("/api/v1/report").json();

    // S3 dies: the report stays, marked stale; the errors are counted.
    drop(server);
    advisor.wait_until("stale", |a| a.get("/readyz").json()["stale"] == true);
    let ready = advisor.get("/readyz");
    assert_eq!(ready.status, 200, "stays ready while stale");
    assert_eq!(advisor.get("/healthz").status, 200);
    let stale = advisor.get("/api/v1/report").json();
    assert!(stale["stale_since"].is_string(), "{stale}");
    assert_eq!(
        stale["generated_at"], before["generated_at"],
        "the last complete report"
    );
    assert_eq!(stale["findings"], before["findings"]);
    assert_eq!(stale["last_error"]["reason"], "list");
    advisor.wait_until("counting errors", |a| {
        a.metric("guardrail_advisor_cycle_errors_total{reason=\"list\"}") >= Some(2.0)
    });
    assert_eq!(advisor.metric("guardrail_advisor_report_stale"), Some(1.0));
    assert!(advisor.get("/").body.contains("STALE"));

    // S3 returns (empty, as a fresh server): the advisor recovers by itself.
    let moto = restart_moto(port, &bucket);
    let client = {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("auto"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                guardrail_testkit::ACCESS_KEY_ID,
                guardrail_testkit::SECRET_ACCESS_KEY,
                None,
                None,
                "test",
            ))
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .load()
            .await;
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        )
    };
    seed(&client, &bucket).await;
    advisor.wait_until("fresh again", |a| a.get("/readyz").json()["stale"] == false);
    let fresh = advisor.get("/api/v1/report").json();
    assert!(fresh["stale_since"].is_null(), "{fresh}");
    assert_ne!(fresh["generated_at"], before["generated_at"]);
    assert_eq!(advisor.metric("guardrail_advisor_report_stale"), Some(0.0));

    let (code, took) = advisor.terminate();
    assert_eq!(code, Some(0), "{}", advisor.logs());
    assert!(took < Duration::from_secs(5), "{took:?}");
    drop(moto);
}

/// An S3 endpoint that answers every request with 503 Slow Down.
fn always_503() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().take(500).flatten() {
            std::thread::spawn(move || {
                use std::io::{BufRead, BufReader, Write};
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 2 {
                    line.clear();
                }
                let body = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    address
}

#[test]
fn an_s3_answering_503_is_counted_and_never_crashes_the_advisor() {
    let endpoint = always_503();
    let env = vec![
        (
            "AWS_ACCESS_KEY_ID".to_owned(),
            "AKIAFAULT00000000000".to_owned(),
        ),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            "fault-secret".to_owned(),
        ),
        ("AWS_REGION".to_owned(), "auto".to_owned()),
    ];
    let mut advisor = Advisor::start(
        &[
            "--target",
            "production=s3://states/prod/",
            "--endpoint",
            &endpoint,
            "--interval",
            "1s",
        ],
        &env,
    );
    advisor.wait_until("counting errors", |a| {
        a.metric("guardrail_advisor_cycle_errors_total{reason=\"list\"}") >= Some(2.0)
    });
    let ready = advisor.get("/readyz");
    assert_eq!(ready.status, 503, "not ready before a complete cycle");
    assert_eq!(ready.json()["last_error"], "list");
    assert_eq!(advisor.get("/healthz").status, 200, "alive all the same");
    assert_eq!(advisor.get("/api/v1/report").status, 503);
    assert!(advisor
        .get("/")
        .body
        .contains("No complete audit cycle yet"));
    let (code, took) = advisor.terminate();
    assert_eq!(code, Some(0), "{}", advisor.logs());
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(!advisor.logs().contains("fault-secret"));
}
