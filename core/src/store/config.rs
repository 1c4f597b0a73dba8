//! Where a store lives: its configuration and, once connected, its location.

use serde::{Deserialize, Serialize};

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreConfig {
    /// Bucket name.
    pub bucket: String,
    /// Endpoint URL; when `None`, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, else AWS.
    pub endpoint: Option<String>,
    /// Signing region; when `None`, the user's configured region (environment,
    /// then profile), else `auto` (R2). See the [module rules](super).
    pub region: Option<String>,
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
            region: None,
            prefix: "guardrail/".into(),
            use_path_style: true,
        }
    }
}

impl StoreConfig {
    /// `s3://BUCKET[/PREFIX]` (without a prefix, the default `guardrail/`), path
    /// style, the region of the [module rules](super). The error says what is
    /// wrong with the URL.
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

/// Where a connected store is: bucket, prefix and the endpoint its client uses.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreLocation {
    pub bucket: String,
    /// The key prefix, ending in `/` unless empty.
    pub prefix: String,
    /// The endpoint URL; `None` for the SDK's default (AWS S3).
    pub endpoint: Option<String>,
}

impl StoreLocation {
    /// `s3://bucket/prefix`
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// The endpoint URL, or `the default AWS S3 endpoint`, for messages.
    pub fn endpoint_label(&self) -> &str {
        self.endpoint
            .as_deref()
            .unwrap_or("the default AWS S3 endpoint")
    }

    /// The full key of `key`, relative to the prefix.
    pub fn full_key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

/// `s3://bucket/prefix at endpoint`
impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}", self.url(), self.endpoint_label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_bucket_and_prefix() {
        let config = StoreConfig::from_url("s3://records/team/a/").unwrap();
        assert_eq!(
            (config.bucket.as_str(), config.prefix.as_str()),
            ("records", "team/a/")
        );
        assert_eq!(config.region, None);
        assert!(config.use_path_style);
        assert_eq!(
            StoreConfig::from_url("s3://records").unwrap().prefix,
            "guardrail/"
        );
        assert!(StoreConfig::from_url("records")
            .unwrap_err()
            .contains("expected s3://BUCKET[/PREFIX]"));
        assert!(StoreConfig::from_url("s3:///x")
            .unwrap_err()
            .contains("the bucket is empty"));
    }

    #[test]
    fn a_location_reads_as_url_and_endpoint() {
        let mut location = StoreLocation {
            bucket: "records".into(),
            prefix: "guardrail/".into(),
            endpoint: Some("http://127.0.0.1:9000".into()),
        };
        assert_eq!(
            location.to_string(),
            "s3://records/guardrail/ at http://127.0.0.1:9000"
        );
        assert_eq!(location.full_key("locks/a.json"), "guardrail/locks/a.json");
        location.endpoint = None;
        assert_eq!(
            location.to_string(),
            "s3://records/guardrail/ at the default AWS S3 endpoint"
        );
    }
}
