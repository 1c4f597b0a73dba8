//! [`connect()`]: the one builder of S3 clients, with the endpoint, region,
//! credential and checksum rules of the [store module](super).

use std::time::Duration;

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::Region;
use aws_sdk_s3::config::{Credentials, RequestChecksumCalculation, ResponseChecksumValidation};

/// The region R2 expects, used when the user configured none.
pub const DEFAULT_REGION: &str = "auto";

/// How long connecting to the endpoint may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one operation (with its retries) may take, up to its response head.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(60);

/// Credentials a caller holds itself, used instead of the standard chain.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

/// Never prints the secret.
impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// What a client is built from. Unset (or empty) values follow the rules of the
/// [store module](super).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// The endpoint URL; else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
    /// The signing region; else the user's configured one, else `auto`.
    pub region: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`); `true` by default.
    pub path_style: bool,
    /// Static credentials; `None` for the standard chain.
    pub credentials: Option<StaticCredentials>,
}

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            endpoint: None,
            region: None,
            path_style: true,
            credentials: None,
        }
    }
}

impl S3Settings {
    /// Default settings with `endpoint` (`None` or empty: the fallbacks).
    pub fn with_endpoint(endpoint: Option<&str>) -> S3Settings {
        S3Settings {
            endpoint: endpoint.map(str::to_owned),
            ..S3Settings::default()
        }
    }
}

/// A built client, with the endpoint and region it resolved. Cheap to clone.
#[derive(Debug, Clone)]
pub struct S3Client {
    client: aws_sdk_s3::Client,
    endpoint: Option<String>,
    region: String,
}

impl S3Client {
    /// The SDK client.
    pub fn sdk(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// The SDK client, by value.
    pub fn into_sdk(self) -> aws_sdk_s3::Client {
        self.client
    }

    /// The endpoint URL requests go to; `None` for the SDK's default (AWS S3).
    pub fn endpoint(&self) -> Option<&str> {
        self.endpoint.as_deref()
    }

    /// The region requests are signed for.
    pub fn region(&self) -> &str {
        &self.region
    }
}

/// Builds an S3 client by the rules of the [store module](super).
pub async fn connect(settings: &S3Settings) -> S3Client {
    let endpoint = resolve_endpoint(settings.endpoint.as_deref());
    let region = resolve_region(settings.region.as_deref()).await;
    tracing::debug!(
        endpoint = endpoint.as_deref().unwrap_or("default"),
        %region,
        static_credentials = settings.credentials.is_some(),
        "S3 client"
    );
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new(region.clone()))
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        );
    if let Some(endpoint) = &endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    if let Some(credentials) = &settings.credentials {
        loader = loader.credentials_provider(Credentials::new(
            credentials.access_key_id.clone(),
            credentials.secret_access_key.clone(),
            None,
            None,
            "static",
        ));
    }
    let shared = loader.load().await;
    let s3_config = aws_sdk_s3::config::Builder::from(&shared)
        .force_path_style(settings.path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .build();
    S3Client {
        client: aws_sdk_s3::Client::from_conf(s3_config),
        endpoint,
        region,
    }
}

/// The endpoint: `explicit`, else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`;
/// empty values count as unset. `None` leaves it to the SDK (AWS S3).
pub fn resolve_endpoint(explicit: Option<&str>) -> Option<String> {
    let set = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    set(explicit.map(str::to_owned))
        .or_else(|| set(std::env::var("AWS_ENDPOINT_URL_S3").ok()))
        .or_else(|| set(std::env::var("AWS_ENDPOINT_URL").ok()))
}

/// The region: `explicit`, else `AWS_REGION` / `AWS_DEFAULT_REGION`, else the
/// selected profile's `region`, else [`DEFAULT_REGION`].
pub async fn resolve_region(explicit: Option<&str>) -> String {
    if let Some(region) = explicit.map(str::trim).filter(|r| !r.is_empty()) {
        return region.to_string();
    }
    RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(ProfileFileRegionProvider::new())
        .region()
        .await
        .map(|region| region.to_string())
        .unwrap_or_else(|| DEFAULT_REGION.to_string())
}
