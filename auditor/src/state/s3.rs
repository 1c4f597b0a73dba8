//! S3 clients configured for Cloudflare R2: path-style addressing, checksums only
//! when required, and region `auto` unless the user configured one.
//!
//! The region is the user's when they set one (`AWS_REGION`, `AWS_DEFAULT_REGION`,
//! or `region` in the profile that `AWS_PROFILE` selects from `AWS_CONFIG_FILE` or
//! `~/.aws/config`): an R2 profile says `auto` (R2 also takes `us-east-1`), an AWS
//! profile names its bucket's region, and silently signing for another region
//! would break the latter. With none configured the region is `auto`, which is
//! what R2 expects; instance metadata is not asked, so a run off EC2 never waits
//! for it.

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::Region;
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
    let region = region().await;
    tracing::debug!(%region, "S3 region");
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).region(region);
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

/// The region R2 expects, used when the user configured none.
pub const DEFAULT_REGION: &str = "auto";

/// The configured region (environment, then profile), else [`DEFAULT_REGION`].
pub async fn region() -> Region {
    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::new())
        .region()
        .await
        .unwrap_or_else(|| Region::new(DEFAULT_REGION))
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
