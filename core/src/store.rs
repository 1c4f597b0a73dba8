//! The S3 store (Cloudflare R2 or any S3 API) that holds locks, attestations and
//! the audit trail.
//!
//! Every key is relative to the store's prefix (default `guardrail/`). Locks depend
//! on conditional writes: `If-None-Match: *` to create, `If-Match: <etag>` to
//! replace or delete. [`Store::verify_conditional_writes`] refuses endpoints that
//! ignore any of the three, naming which.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreConfig {
    /// Bucket name.
    pub bucket: String,
    /// Endpoint URL; when `None`, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, else AWS.
    pub endpoint: Option<String>,
    /// Signing region; R2 uses `auto`.
    pub region: String,
    /// Key prefix for every object of the store (`guardrail/`).
    pub prefix: String,
    /// Path-style addressing (`https://endpoint/bucket/key`), which R2 and local servers need.
    pub use_path_style: bool,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            bucket: String::new(),
            endpoint: None,
            region: "auto".into(),
            prefix: "guardrail/".into(),
            use_path_style: true,
        }
    }
}

/// The probe object of [`Store::verify_conditional_writes`], under the prefix.
pub const CONDITIONAL_WRITE_PROBE: &str = "probe/conditional-writes.json";

impl StoreConfig {
    /// `s3://BUCKET[/PREFIX]` (without a prefix, the default `guardrail/`), path
    /// style, region `auto`. The error says what is wrong with the URL.
    pub fn from_url(url: &str) -> Result<StoreConfig, String> {
        let expected = "expected s3://BUCKET[/PREFIX]";
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("not an s3:// URL; {expected}"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("the bucket is empty; {expected}"));
        }
        let mut config = StoreConfig {
            bucket: bucket.to_string(),
            ..StoreConfig::default()
        };
        if !prefix.trim_matches('/').is_empty() {
            config.prefix = format!("{}/", prefix.trim_matches('/'));
        }
        Ok(config)
    }
}

/// Stores (by [`Store::describe`]) this process found honouring every condition:
/// the provider's configure and the first lock write share one probe.
static VERIFIED: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// The entity tag no object ever has: a condition on it must fail.
const NO_SUCH_ETAG: &str = "\"00000000000000000000000000000000\"";

/// A conditional request the endpoint must honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// `If-None-Match: *` on PutObject (create only if absent).
    PutIfNoneMatch,
    /// `If-Match: <etag>` on PutObject (replace only that version).
    PutIfMatch,
    /// `If-Match: <etag>` on DeleteObject (delete only that version).
    DeleteIfMatch,
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Condition::PutIfNoneMatch => "If-None-Match on PutObject",
            Condition::PutIfMatch => "If-Match on PutObject",
            Condition::DeleteIfMatch => "If-Match on DeleteObject",
        })
    }
}

/// The outcome of a conditional delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// The object changed, or does not exist (HTTP 412 or 404).
    PreconditionFailed,
}

/// An object read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub body: Vec<u8>,
    /// The entity tag, as the server returned it (quoted).
    pub etag: String,
}

/// The outcome of a conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Written {
        etag: String,
    },
    /// The condition did not hold (HTTP 412): somebody else wrote first.
    PreconditionFailed,
}

/// A store operation that failed. Messages name the operation, the bucket, the key
/// and the endpoint, and say what to check; they never contain credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the store needs a bucket name: set `bucket` in the store configuration")]
    MissingBucket,
    #[error(
        "the S3 endpoint {endpoint} ignores conditional writes ({condition}): {evidence}. \
         Locks on this endpoint would be unsafe; use Cloudflare R2, AWS S3 or another server that honours \
         If-None-Match and If-Match on PutObject and If-Match on DeleteObject"
    )]
    ConditionalWritesIgnored {
        endpoint: String,
        condition: Condition,
        evidence: &'static str,
    },
    #[error("cannot reach the S3 endpoint {endpoint}: {cause}; check the store's `endpoint` (or --endpoint / AWS_ENDPOINT_URL_S3) and the network")]
    Unreachable { endpoint: String, cause: String },
    #[error("bucket `{bucket}` does not exist at {endpoint}: create it, or fix `bucket`")]
    NoSuchBucket { bucket: String, endpoint: String },
    #[error("access denied on s3://{bucket}/{key} at {endpoint} ({operation}): check the credentials (AWS_ACCESS_KEY_ID / AWS_PROFILE) and their permissions")]
    AccessDenied {
        operation: &'static str,
        bucket: String,
        key: String,
        endpoint: String,
    },
    #[error("{operation} s3://{bucket}/{key} at {endpoint} failed: {message}")]
    Request {
        operation: &'static str,
        bucket: String,
        key: String,
        endpoint: String,
        message: String,
    },
}

/// A connected store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
    endpoint: String,
}

impl Store {
    /// Builds a client from the standard AWS environment and profile chain, with
    /// checksums only when required (R2 rejects the SDK's default trailers).
    pub async fn connect(config: &StoreConfig) -> Result<Store, StoreError> {
        if config.bucket.trim().is_empty() {
            return Err(StoreError::MissingBucket);
        }
        let endpoint = config
            .endpoint
            .clone()
            .filter(|e| !e.trim().is_empty())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_S3").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .filter(|e| !e.trim().is_empty());
        let region = if config.region.trim().is_empty() {
            "auto".to_string()
        } else {
            config.region.clone()
        };
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(std::time::Duration::from_secs(5))
                    .operation_timeout(std::time::Duration::from_secs(60))
                    .build(),
            );
        if let Some(endpoint) = &endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let s3_config = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(config.use_path_style)
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            )
            .build();
        Ok(Store {
            client: aws_sdk_s3::Client::from_conf(s3_config),
            bucket: config.bucket.clone(),
            prefix: config.prefix.clone(),
            endpoint: endpoint.unwrap_or_else(|| "the default AWS S3 endpoint".into()),
        })
    }

    /// `s3://bucket/prefix at endpoint`, for messages.
    pub fn describe(&self) -> String {
        format!("s3://{}/{} at {}", self.bucket, self.prefix, self.endpoint)
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    fn error<E, R>(&self, operation: &'static str, key: &str, error: SdkError<E, R>) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        if let SdkError::DispatchFailure(failure) = &error {
            let cause = if failure.is_timeout() {
                "the connection timed out".to_string()
            } else {
                dispatch_cause(&error)
            };
            return StoreError::Unreachable {
                endpoint: self.endpoint.clone(),
                cause,
            };
        }
        if let SdkError::TimeoutError(_) = &error {
            return StoreError::Unreachable {
                endpoint: self.endpoint.clone(),
                cause: format!("{operation} timed out"),
            };
        }
        let code = error
            .as_service_error()
            .and_then(|e| e.code())
            .map(str::to_owned);
        match code.as_deref() {
            Some("NoSuchBucket") => StoreError::NoSuchBucket {
                bucket: self.bucket.clone(),
                endpoint: self.endpoint.clone(),
            },
            Some("AccessDenied") | Some("InvalidAccessKeyId") | Some("SignatureDoesNotMatch") => {
                StoreError::AccessDenied {
                    operation,
                    bucket: self.bucket.clone(),
                    key: self.full_key(key),
                    endpoint: self.endpoint.clone(),
                }
            }
            _ => StoreError::Request {
                operation,
                bucket: self.bucket.clone(),
                key: self.full_key(key),
                endpoint: self.endpoint.clone(),
                message: DisplayErrorContext(&error).to_string(),
            },
        }
    }

    /// Checks that the endpoint honours the three conditions locks depend on, with
    /// the probe object [`CONDITIONAL_WRITE_PROBE`], which stays in the store: a
    /// create with `If-None-Match: *` over it, a write with `If-Match` on an ETag it
    /// never had, and a delete with such an `If-Match` must all be refused. The
    /// three requests are sent at once, so the check costs one round trip once the
    /// probe exists. An endpoint that ignores any of them is refused, naming which;
    /// an endpoint that cannot be reached is reported as unreachable. A store this
    /// process already verified is not probed again.
    pub async fn verify_conditional_writes(&self) -> Result<(), StoreError> {
        let verified = || {
            VERIFIED
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if verified().contains(&self.describe()) {
            return Ok(());
        }
        self.probe_conditional_writes().await?;
        verified().insert(self.describe());
        Ok(())
    }

    /// [`Store::verify_conditional_writes`] without the process's memory: always
    /// sends the probe requests.
    pub async fn probe_conditional_writes(&self) -> Result<(), StoreError> {
        let body = b"{\"kept_by\":\"guardrail\",\"proves\":\"the store honours If-None-Match and If-Match\"}".to_vec();
        let (create, replace, delete) = tokio::join!(
            self.put_if_absent(CONDITIONAL_WRITE_PROBE, body.clone()),
            self.put_if_match(CONDITIONAL_WRITE_PROBE, body.clone(), NO_SUCH_ETAG),
            self.delete_if_match(CONDITIONAL_WRITE_PROBE, NO_SUCH_ETAG),
        );
        let ignored = |condition, evidence| StoreError::ConditionalWritesIgnored {
            endpoint: self.endpoint.clone(),
            condition,
            evidence,
        };
        // Each outcome is judged on its own: a probe that did not exist yet makes
        // the create succeed, so it is created and the create is tried once more.
        let create = create?;
        let replace = replace?;
        let delete = delete?;
        if let PutOutcome::Written { .. } = replace {
            return Err(ignored(
                Condition::PutIfMatch,
                "a write conditional on an ETag the object never had succeeded",
            ));
        }
        if delete == DeleteOutcome::Deleted {
            // The probe is gone now; put it back for the next check.
            let _ = self.put_if_absent(CONDITIONAL_WRITE_PROBE, body).await;
            return Err(ignored(
                Condition::DeleteIfMatch,
                "a delete conditional on an ETag the object never had succeeded",
            ));
        }
        if let PutOutcome::Written { .. } = create {
            if let PutOutcome::Written { .. } =
                self.put_if_absent(CONDITIONAL_WRITE_PROBE, body).await?
            {
                return Err(ignored(
                    Condition::PutIfNoneMatch,
                    "a second create of the same object succeeded",
                ));
            }
            // The probe was new: the If-Match checks ran before it existed, so
            // run them again on the object that now exists.
            return Box::pin(self.probe_conditional_writes()).await;
        }
        Ok(())
    }

    /// Reads an object; `None` when it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .send()
            .await;
        match result {
            Ok(output) => {
                let etag = output.e_tag().unwrap_or_default().to_string();
                let body = output
                    .body
                    .collect()
                    .await
                    .map_err(|e| StoreError::Request {
                        operation: "GetObject",
                        bucket: self.bucket.clone(),
                        key: self.full_key(key),
                        endpoint: self.endpoint.clone(),
                        message: e.to_string(),
                    })?
                    .into_bytes()
                    .to_vec();
                Ok(Some(StoredObject { body, etag }))
            }
            Err(error) => {
                let service = error.as_service_error();
                let no_such_key = service.map(|e| e.is_no_such_key()).unwrap_or(false);
                let no_such_bucket = service.and_then(|e| e.code()) == Some("NoSuchBucket");
                let not_found = error.raw_response().map(|r| r.status().as_u16()) == Some(404);
                let missing = no_such_key || (not_found && !no_such_bucket);
                if missing {
                    Ok(None)
                } else {
                    Err(self.error("GetObject", key, error))
                }
            }
        }
    }

    async fn put_with(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: PutCondition<'_>,
    ) -> Result<PutOutcome, StoreError> {
        let mut request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .content_type("application/json")
            .body(ByteStream::from(body));
        request = match condition {
            PutCondition::None => request,
            PutCondition::Absent => request.if_none_match("*"),
            PutCondition::Matches(etag) => request.if_match(etag),
        };
        match request.send().await {
            Ok(output) => Ok(PutOutcome::Written {
                etag: output.e_tag().unwrap_or_default().to_string(),
            }),
            Err(error) => {
                let status = error.raw_response().map(|r| r.status().as_u16());
                // 412 Precondition Failed; R2 and S3 may answer 409 ConditionalRequestConflict
                // when two conditional writes race.
                let refused = match condition {
                    PutCondition::Absent => matches!(status, Some(412) | Some(409)),
                    // AWS S3 answers 404 to If-Match on a key that does not exist.
                    PutCondition::Matches(_) => matches!(status, Some(412) | Some(409) | Some(404)),
                    PutCondition::None => false,
                };
                if refused {
                    Ok(PutOutcome::PreconditionFailed)
                } else {
                    Err(self.error("PutObject", key, error))
                }
            }
        }
    }

    /// Creates an object only if it does not exist (`If-None-Match: *`).
    pub async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        self.put_with(key, body, PutCondition::Absent).await
    }

    /// Replaces an object only if its ETag is still `etag` (`If-Match`).
    pub async fn put_if_match(
        &self,
        key: &str,
        body: Vec<u8>,
        etag: &str,
    ) -> Result<PutOutcome, StoreError> {
        self.put_with(key, body, PutCondition::Matches(etag)).await
    }

    /// Writes an object unconditionally and returns its ETag.
    pub async fn put(&self, key: &str, body: Vec<u8>) -> Result<String, StoreError> {
        match self.put_with(key, body, PutCondition::None).await? {
            PutOutcome::Written { etag } => Ok(etag),
            PutOutcome::PreconditionFailed => {
                unreachable!("an unconditional write has no precondition")
            }
        }
    }

    /// Deletes an object only if its ETag is still `etag` (`If-Match` on DeleteObject).
    pub async fn delete_if_match(
        &self,
        key: &str,
        etag: &str,
    ) -> Result<DeleteOutcome, StoreError> {
        let result = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.full_key(key))
            .if_match(etag)
            .send()
            .await;
        match result {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(error) => {
                let status = error.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(412) | Some(409) | Some(404)) {
                    Ok(DeleteOutcome::PreconditionFailed)
                } else {
                    Err(self.error("DeleteObject", key, error))
                }
            }
        }
    }

    /// Every key under `key_prefix` (relative to the store prefix), following pagination.
    pub async fn list(&self, key_prefix: &str) -> Result<Vec<String>, StoreError> {
        let full_prefix = self.full_key(key_prefix);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("ListObjectsV2", key_prefix, e))?;
            keys.extend(page.contents().iter().filter_map(|object| {
                object
                    .key()
                    .and_then(|k| k.strip_prefix(&self.prefix))
                    .map(str::to_owned)
            }));
        }
        keys.sort();
        Ok(keys)
    }
}

#[derive(Clone, Copy)]
enum PutCondition<'a> {
    None,
    Absent,
    Matches(&'a str),
}

/// The innermost cause of a request that never reached the server, without
/// the SDK's debug structure: "connection refused", "dns error: ...".
fn dispatch_cause<E, R>(error: &SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let mut cause: &dyn std::error::Error = error;
    let mut text = error.to_string();
    while let Some(source) = cause.source() {
        text = source.to_string();
        cause = source;
    }
    let lowered = text.to_ascii_lowercase();
    if lowered.contains("connection refused") {
        "connection refused".to_string()
    } else {
        text
    }
}
