//! S3 clients configured for Cloudflare R2: region `auto` unless set, path-style
//! addressing, checksums only when required.

use aws_sdk_s3::config::{Credentials, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};
use chrono::{DateTime, Utc};

/// Environment variables holding the journal's own credentials.
pub const JOURNAL_ACCESS_KEY_VAR: &str = "TFAUDIT_JOURNAL_ACCESS_KEY_ID";
pub const JOURNAL_SECRET_KEY_VAR: &str = "TFAUDIT_JOURNAL_SECRET_ACCESS_KEY";
pub const JOURNAL_ENDPOINT_VAR: &str = "TFAUDIT_JOURNAL_ENDPOINT";

/// Builds a client. `endpoint` falls back to `AWS_ENDPOINT_URL_S3`; credentials
/// come from `static_credentials` when given, else the standard chain.
pub async fn client(
    endpoint: Option<&str>,
    static_credentials: Option<(String, String)>,
) -> aws_sdk_s3::Client {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        loader = loader.region(aws_config::Region::new("auto"));
    }
    if let Some((access_key, secret_key)) = static_credentials {
        loader = loader.credentials_provider(Credentials::new(
            access_key,
            secret_key,
            None,
            None,
            "tfaudit-journal",
        ));
    }
    let config = loader.load().await;
    let mut builder = aws_sdk_s3::config::Builder::from(&config)
        .force_path_style(true)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
    if let Some(endpoint) = endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

/// One-line description of an SDK error: the service's code and message when
/// there is one (e.g. `AccessDenied: Access Denied`), else the error chain.
pub fn describe<E>(error: &E) -> String
where
    E: std::error::Error + ProvideErrorMetadata,
{
    match (error.code(), error.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_owned(),
        _ => DisplayErrorContext(error).to_string().replace('\n', " "),
    }
}

/// Converts an S3 timestamp.
pub fn to_chrono(time: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<DateTime<Utc>> {
    let time = time?;
    DateTime::<Utc>::from_timestamp(time.secs(), time.subsec_nanos())
}
