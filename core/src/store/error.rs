//! Store errors, the conditions locks depend on, and how AWS SDK errors read.

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::config::StoreLocation;

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

impl StoreError {
    /// A failed `operation` on `key` (relative to the prefix) of the store at
    /// `location`, for a failure that is not the SDK's.
    pub fn request(
        location: &StoreLocation,
        operation: &'static str,
        key: &str,
        message: impl Into<String>,
    ) -> StoreError {
        StoreError::Request {
            operation,
            bucket: location.bucket.clone(),
            key: location.full_key(key),
            endpoint: location.endpoint_label().to_string(),
            message: message.into(),
        }
    }

    /// Maps an SDK error of `operation` on `key` (relative to the prefix):
    /// requests that never reached the server are [`StoreError::Unreachable`];
    /// a missing bucket and refused credentials have their own variants.
    pub(crate) fn from_sdk<E, R>(
        location: &StoreLocation,
        operation: &'static str,
        key: &str,
        error: SdkError<E, R>,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        let endpoint = location.endpoint_label().to_string();
        if let Some(cause) = unreachable_cause(operation, &error) {
            return StoreError::Unreachable { endpoint, cause };
        }
        let code = error
            .as_service_error()
            .and_then(|e| e.code())
            .map(str::to_owned);
        match code.as_deref() {
            Some("NoSuchBucket") => StoreError::NoSuchBucket {
                bucket: location.bucket.clone(),
                endpoint,
            },
            Some("AccessDenied") | Some("InvalidAccessKeyId") | Some("SignatureDoesNotMatch") => {
                StoreError::AccessDenied {
                    operation,
                    bucket: location.bucket.clone(),
                    key: location.full_key(key),
                    endpoint,
                }
            }
            _ => StoreError::request(
                location,
                operation,
                key,
                DisplayErrorContext(&error).to_string(),
            ),
        }
    }
}

/// One-line description of an SDK error: the service's code and message when
/// there is one (e.g. `AccessDenied: Access Denied`), else the error chain.
pub fn describe_sdk_error<E>(error: &E) -> String
where
    E: std::error::Error + ProvideErrorMetadata,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string().replace('\n', " "),
    }
}

/// [`describe_sdk_error`] for a request sent to `endpoint` (`None`: the SDK's
/// default): a request that never reached the server reads as one line naming
/// the endpoint and what to check (`cannot reach URL: connection refused; check
/// --endpoint / AWS_ENDPOINT_URL_S3`), never as the SDK's debug structure.
pub fn describe_sdk_failure<E, R>(
    operation: &str,
    error: &SdkError<E, R>,
    endpoint: Option<&str>,
) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match unreachable_cause(operation, error) {
        Some(cause) => format!(
            "cannot reach {}: {cause}; check --endpoint / AWS_ENDPOINT_URL_S3",
            endpoint.unwrap_or("the default S3 endpoint")
        ),
        None => describe_sdk_error(error),
    }
}

/// Why a request never reached the server, or `None` when it did.
fn unreachable_cause<E, R>(operation: &str, error: &SdkError<E, R>) -> Option<String>
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error {
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            Some("the connection timed out".to_string())
        }
        SdkError::DispatchFailure(_) => Some(dispatch_cause(error)),
        SdkError::TimeoutError(_) => Some(format!("{operation} timed out")),
        _ => None,
    }
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
    } else if lowered.contains("dns error") || lowered.contains("failed to lookup address") {
        "the host name does not resolve".to_string()
    } else {
        text
    }
}
