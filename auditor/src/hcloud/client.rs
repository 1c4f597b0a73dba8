//! The HTTP side: requests, pagination, errors and rate limiting.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

/// Items requested per page (the API allows up to 50).
pub const PER_PAGE: u32 = 50;
/// Upper bound on pages followed for one listing, against a server that never ends.
const MAX_PAGES: u32 = 10_000;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum HcloudError {
    #[error("Hetzner Cloud rejected the token (HCLOUD_TOKEN) with 401 {code}: {message}; check that the token exists, belongs to the right project and has not been revoked")]
    Unauthorized { code: String, message: String },
    #[error("GET {path}: Hetzner Cloud answered HTTP {status} {code}: {message}")]
    Api {
        path: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("GET {path}: still rate limited (429) after {attempts} attempts")]
    RateLimited { path: String, attempts: u32 },
    #[error("GET {path}: {message}")]
    Transport { path: String, message: String },
    #[error("GET {path}: field `{field}`: expected {expected}")]
    Shape {
        path: String,
        field: String,
        expected: String,
    },
    #[error("invalid Hetzner Cloud endpoint `{endpoint}`: {message}")]
    Endpoint { endpoint: String, message: String },
}

/// Tunables, mostly for tests.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Attempts per request when answered 429 (the first one included).
    pub max_attempts: u32,
    /// Longest wait honoured for one `RateLimit-Reset`.
    pub max_wait: Duration,
    pub per_page: u32,
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_attempts: 4,
            max_wait: Duration::from_secs(60),
            per_page: PER_PAGE,
            timeout: Duration::from_secs(30),
        }
    }
}

type HttpsClient =
    hyper_util::client::legacy::Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A Hetzner Cloud API client.
pub struct Client {
    base: String,
    token: String,
    http: HttpsClient,
    options: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &"(not shown)")
            .finish()
    }
}

impl Client {
    /// A client for `endpoint` (e.g. `https://api.hetzner.cloud/v1`).
    pub fn new(
        endpoint: &str,
        token: String,
        options: ClientOptions,
    ) -> Result<Client, HcloudError> {
        let base = endpoint.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(HcloudError::Endpoint {
                endpoint: endpoint.to_owned(),
                message: "expected an http:// or https:// URL".into(),
            });
        }
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|error| HcloudError::Endpoint {
                endpoint: endpoint.to_owned(),
                message: format!("cannot load the system's root certificates: {error}"),
            })?
            .https_or_http()
            .enable_http1()
            .build();
        let http =
            hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(connector);
        Ok(Client {
            base,
            token,
            http,
            options,
        })
    }

    /// Every item of a collection (`servers`, `firewalls`, ...), following pages.
    /// `key` is the JSON array holding the items (usually the same as `path`).
    pub async fn list(
        &self,
        path: &str,
        key: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, HcloudError> {
        let mut items = Vec::new();
        let mut page: u64 = 1;
        for _ in 0..MAX_PAGES {
            let mut query = format!("page={page}&per_page={}", self.options.per_page);
            if let Some(selector) = label_selector {
                query.push_str("&label_selector=");
                query.push_str(&percent_encode(selector));
            }
            let request_path = format!("/{path}?{query}");
            let body = self.get(&request_path).await?;
            let Some(Value::Array(page_items)) = body.get(key) else {
                return Err(HcloudError::Shape {
                    path: request_path,
                    field: key.to_owned(),
                    expected: "an array of objects".into(),
                });
            };
            items.extend(page_items.iter().cloned());
            match body.pointer("/meta/pagination/next_page") {
                Some(Value::Number(next)) if next.as_u64().is_some_and(|n| n > page) => {
                    page = next.as_u64().unwrap_or(page + 1);
                }
                _ => return Ok(items),
            }
        }
        Ok(items)
    }

    /// GET `path` (relative to the base URL), retrying on 429.
    pub async fn get(&self, path: &str) -> Result<Value, HcloudError> {
        let url = format!("{}{path}", self.base);
        let transport = |message: String| HcloudError::Transport {
            path: path.to_owned(),
            message,
        };
        for attempt in 1..=self.options.max_attempts.max(1) {
            let request = Request::get(&url)
                .header("Authorization", format!("Bearer {}", self.token))
                .header("Accept", "application/json")
                .header("User-Agent", concat!("tfaudit/", env!("CARGO_PKG_VERSION")))
                .body(Full::new(Bytes::new()))
                .map_err(|error| transport(error.to_string()))?;
            let response = tokio::time::timeout(self.options.timeout, self.http.request(request))
                .await
                .map_err(|_| transport(format!("no answer within {:?}", self.options.timeout)))?
                .map_err(|error| transport(describe_chain(&error)))?;
            let status = response.status();
            let reset = response
                .headers()
                .get("RateLimit-Reset")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<i64>().ok());
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|error| transport(error.to_string()))?
                .to_bytes();
            if status == StatusCode::TOO_MANY_REQUESTS {
                if attempt == self.options.max_attempts.max(1) {
                    break;
                }
                let wait = self.rate_limit_wait(reset, attempt);
                tracing::warn!(
                    path,
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "rate limited by Hetzner Cloud; waiting"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if status.is_success() {
                return serde_json::from_slice(&body).map_err(|error| HcloudError::Shape {
                    path: path.to_owned(),
                    field: "(body)".into(),
                    expected: format!("JSON ({error})"),
                });
            }
            let (code, message) = error_body(&body);
            if status == StatusCode::UNAUTHORIZED {
                return Err(HcloudError::Unauthorized { code, message });
            }
            return Err(HcloudError::Api {
                path: path.to_owned(),
                status: status.as_u16(),
                code,
                message,
            });
        }
        Err(HcloudError::RateLimited {
            path: path.to_owned(),
            attempts: self.options.max_attempts.max(1),
        })
    }

    /// How long to wait before retrying: until `RateLimit-Reset` (a Unix time),
    /// else an exponential backoff; never longer than `max_wait`.
    fn rate_limit_wait(&self, reset: Option<i64>, attempt: u32) -> Duration {
        let wait = match reset {
            Some(reset) => {
                let now_ms = chrono::Utc::now().timestamp_millis();
                Duration::from_millis(
                    u64::try_from(reset.saturating_mul(1000) - now_ms).unwrap_or(0),
                )
            }
            None => Duration::from_millis(500u64 << attempt.min(6)),
        };
        wait.clamp(Duration::from_millis(50), self.options.max_wait)
    }
}

/// `{"error":{"code":"...","message":"..."}}`, or placeholders when the body is
/// not in that shape.
fn error_body(body: &[u8]) -> (String, String) {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|value| value.pointer(&format!("/error/{name}")))
            .and_then(Value::as_str)
            .map(one_line)
    };
    (
        field("code").unwrap_or_else(|| "unknown_error".into()),
        field("message").unwrap_or_else(|| "(no error message in the response)".into()),
    )
}

/// Server text on one line, without control characters, at most 300 characters.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}

fn describe_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_the_documented_error_body() {
        let (code, message) = error_body(
            br#"{"error":{"code":"unauthorized","message":"unable to authenticate","details":{}}}"#,
        );
        assert_eq!(
            (code.as_str(), message.as_str()),
            ("unauthorized", "unable to authenticate")
        );
        let (code, _) = error_body(b"<html>bad gateway</html>");
        assert_eq!(code, "unknown_error");
    }

    #[test]
    fn encodes_label_selectors() {
        assert_eq!(
            percent_encode("cluster=k3s,role!=lb,hcloud/node"),
            "cluster%3Dk3s%2Crole%21%3Dlb%2Chcloud%2Fnode"
        );
    }

    proptest! {
        #[test]
        fn error_body_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = error_body(&bytes);
        }
    }
}
