//! A real S3 server (moto) on a free loopback port, one per test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::tools;

/// Access key the local server accepts (moto's default account accepts any key).
pub const ACCESS_KEY_ID: &str = "AKIAGUARDRAILTEST000";
/// Secret key paired with [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "guardrail-local-secret-key";

static BUCKET_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A running `moto_server` with one fresh bucket. Dropping it kills the server.
pub struct S3Server {
    child: Child,
    port: u16,
    bucket: String,
    log: tempfile::NamedTempFile,
}

impl S3Server {
    /// Starts a server and creates a fresh bucket in it.
    pub fn start() -> Self {
        Self::start_with_env(&[])
    }

    /// Starts a server with extra environment (e.g. `INITIAL_NO_AUTH_ACTION_COUNT`
    /// to make moto enforce IAM policies after the first N requests).
    pub fn start_with_env(extra_env: &[(&str, &str)]) -> Self {
        let mut last_error = String::new();
        for _attempt in 0..5 {
            match Self::try_start(extra_env) {
                Ok(server) => return server,
                Err(error) => last_error = error,
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    fn try_start(extra_env: &[(&str, &str)]) -> Result<Self, String> {
        let port = free_port();
        let log = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
        let log_out = log.reopen().map_err(|e| e.to_string())?;
        let log_err = log.reopen().map_err(|e| e.to_string())?;
        let mut command = Command::new(tools::moto_server_bin());
        command
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_out)
            .stderr(log_err);
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
        let bucket = format!(
            "guardrail-test-{}-{}",
            std::process::id(),
            BUCKET_COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut server = S3Server {
            child,
            port,
            bucket,
            log,
        };
        server.wait_ready()?;
        let bucket = server.bucket.clone();
        server.create_bucket(&bucket)?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("moto_server exited with {status}: {}", self.log()));
            }
            if let Ok((status, _)) = self.raw_request("GET", "/moto-api/data.json") {
                if status == 200 {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("moto_server not ready after 30 s: {}", self.log()))
    }

    /// Creates another bucket on this server.
    pub fn create_bucket(&self, name: &str) -> Result<(), String> {
        let (status, body) = self.raw_request("PUT", &format!("/{name}"))?;
        if status == 200 {
            Ok(())
        } else {
            Err(format!("create bucket {name}: HTTP {status}: {body}"))
        }
    }

    /// A minimal HTTP/1.1 request, enough to talk to moto without any SDK.
    fn raw_request(&self, method: &str, path: &str) -> Result<(u16, String), String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(|e| e.to_string())?;
        let status = response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("malformed response: {response:.200}"))?;
        Ok((status, response))
    }

    /// `http://127.0.0.1:PORT`
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The fresh bucket created for this server.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Environment for child processes (Terraform, the provider, tfaudit) so they
    /// reach this server through the standard AWS variables.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY_ID.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_ACCESS_KEY.into()),
            ("AWS_REGION".into(), "auto".into()),
            ("AWS_ENDPOINT_URL_S3".into(), self.endpoint()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            (
                "AWS_REQUEST_CHECKSUM_CALCULATION".into(),
                "when_required".into(),
            ),
            (
                "AWS_RESPONSE_CHECKSUM_VALIDATION".into(),
                "when_required".into(),
            ),
        ]
    }

    /// An S3 client talking HTTP to this server, configured as for R2
    /// (region `auto`, path-style, checksums only when required).
    pub async fn client(&self) -> aws_sdk_s3::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("auto"))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "guardrail-testkit",
            ))
            .endpoint_url(self.endpoint())
            .load()
            .await;
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        aws_sdk_s3::Client::from_conf(s3_config)
    }

    /// Keys currently in the bucket (all of them, following pagination).
    pub async fn keys(&self) -> Vec<String> {
        let client = self.client().await;
        let mut keys = Vec::new();
        let mut pages = client
            .list_objects_v2()
            .bucket(&self.bucket)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.expect("list objects on the local S3 server");
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|object| object.key().map(str::to_owned)),
            );
        }
        keys.sort();
        keys
    }

    /// The body of an object, or `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let client = self.client().await;
        match client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(output) => Some(
                output
                    .body
                    .collect()
                    .await
                    .expect("read object body")
                    .into_bytes()
                    .to_vec(),
            ),
            Err(error) => {
                let not_found = error
                    .as_service_error()
                    .map(|e| e.is_no_such_key())
                    .unwrap_or(false);
                assert!(not_found, "get {key}: {error:?}");
                None
            }
        }
    }

    /// What the server printed so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        // moto may ignore SIGTERM for a while; SIGKILL is immediate and final.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("bind a free loopback port")
}
