//! The HTTP side, on the `hcloud` crate: its `Configuration` (base URL, bearer
//! token, reqwest client) and its response models, which every listing is
//! decoded into so that an answer not in the documented shape is an error.
//!
//! The crate's generated `list_*` functions keep only the status and the body
//! of a failed response, so the `RateLimit-Reset` and `Retry-After` headers of a
//! 429 would be lost; the request is therefore sent here, through the crate's
//! configured client, and only the decoding is left to the crate.

use std::time::Duration;

use hcloud::apis::configuration::Configuration;
use hcloud::models;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::DEFAULT_ENDPOINT;

/// Items requested per page (the API allows up to 50).
pub const PER_PAGE: u32 = 50;
/// Pages followed for one listing before giving up (50,000 objects at 50 a page).
pub const MAX_PAGES: u32 = 1_000;

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
    #[error("GET {path}: the answer is not a documented {expected}: {message}")]
    Shape {
        path: String,
        expected: String,
        message: String,
    },
    #[error("GET /{collection}: more than {max_pages} pages (meta.pagination.next_page = {next_page}); stopped rather than compare a partial list")]
    PageLimit {
        collection: String,
        max_pages: u32,
        next_page: i64,
    },
    #[error("invalid Hetzner Cloud endpoint `{endpoint}`: {message}")]
    Endpoint { endpoint: String, message: String },
}

/// Tunables, mostly for tests.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Attempts per request when answered 429 (the first one included).
    pub max_attempts: u32,
    /// Longest wait honoured for one `RateLimit-Reset` or `Retry-After`.
    pub max_wait: Duration,
    pub per_page: u32,
    /// Pages followed for one listing; more is an error, never a partial list.
    pub max_pages: u32,
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            max_attempts: 4,
            max_wait: Duration::from_secs(60),
            per_page: PER_PAGE,
            max_pages: MAX_PAGES,
            timeout: Duration::from_secs(30),
        }
    }
}

/// A Hetzner Cloud API client.
pub struct Client {
    configuration: Configuration,
    options: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base())
            .field("token", &"(not shown)")
            .finish()
    }
}

/// One page of a listing: its items (as JSON, for the data-driven comparison)
/// and the next page, if any.
struct Page {
    items: Vec<Value>,
    next_page: Option<i64>,
}

/// A list response model of the `hcloud` crate.
trait Listing: DeserializeOwned {
    fn into_page(self) -> Result<Page, serde_json::Error>;
}

macro_rules! listing {
    ($($model:ident => $items:ident),* $(,)?) => {$(
        impl Listing for models::$model {
            fn into_page(self) -> Result<Page, serde_json::Error> {
                Ok(Page {
                    items: self
                        .$items
                        .into_iter()
                        .map(serde_json::to_value)
                        .collect::<Result<_, _>>()?,
                    next_page: self.meta.pagination.next_page,
                })
            }
        }
    )*};
}

listing! {
    ListServersResponse => servers,
    ListNetworksResponse => networks,
    ListFirewallsResponse => firewalls,
    ListLoadBalancersResponse => load_balancers,
    ListVolumesResponse => volumes,
    ListPlacementGroupsResponse => placement_groups,
    ListSshKeysResponse => ssh_keys,
    ListPrimaryIpsResponse => primary_ips,
    ListFloatingIpsResponse => floating_ips,
}

impl Client {
    /// A client for `endpoint` (e.g. `https://api.hetzner.cloud/v1`).
    pub fn new(
        endpoint: &str,
        token: String,
        options: ClientOptions,
    ) -> Result<Client, HcloudError> {
        let base = endpoint.trim_end_matches('/').to_owned();
        let invalid = |message: String| HcloudError::Endpoint {
            endpoint: endpoint.to_owned(),
            message,
        };
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(invalid("expected an http:// or https:// URL".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .build()
            .map_err(|error| invalid(describe_chain(&error)))?;
        let mut configuration = Configuration {
            client: http,
            user_agent: Some(concat!("tfaudit/", env!("CARGO_PKG_VERSION")).to_owned()),
            bearer_access_token: Some(token),
            ..Configuration::default()
        };
        configuration
            .base_path_mapping
            .insert(DEFAULT_ENDPOINT.to_owned(), base);
        Ok(Client {
            configuration,
            options,
        })
    }

    fn base(&self) -> &str {
        self.configuration.get_base_path(DEFAULT_ENDPOINT)
    }

    /// Every item of a collection (`servers`, `firewalls`, ...), decoded into
    /// the crate's model and following `meta.pagination.next_page`.
    pub async fn list(
        &self,
        collection: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, HcloudError> {
        let selector = label_selector;
        match collection {
            "servers" => {
                self.list_as::<models::ListServersResponse>(collection, selector)
                    .await
            }
            "networks" => {
                self.list_as::<models::ListNetworksResponse>(collection, selector)
                    .await
            }
            "firewalls" => {
                self.list_as::<models::ListFirewallsResponse>(collection, selector)
                    .await
            }
            "load_balancers" => {
                self.list_as::<models::ListLoadBalancersResponse>(collection, selector)
                    .await
            }
            "volumes" => {
                self.list_as::<models::ListVolumesResponse>(collection, selector)
                    .await
            }
            "placement_groups" => {
                self.list_as::<models::ListPlacementGroupsResponse>(collection, selector)
                    .await
            }
            "ssh_keys" => {
                self.list_as::<models::ListSshKeysResponse>(collection, selector)
                    .await
            }
            "primary_ips" => {
                self.list_as::<models::ListPrimaryIpsResponse>(collection, selector)
                    .await
            }
            "floating_ips" => {
                self.list_as::<models::ListFloatingIpsResponse>(collection, selector)
                    .await
            }
            other => Err(HcloudError::Endpoint {
                endpoint: self.base().to_owned(),
                message: format!("no listing of `{other}` is supported"),
            }),
        }
    }

    async fn list_as<L: Listing>(
        &self,
        collection: &str,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, HcloudError> {
        let mut items = Vec::new();
        let mut page: i64 = 1;
        for _ in 0..self.options.max_pages.max(1) {
            let mut query = vec![
                ("page", page.to_string()),
                ("per_page", self.options.per_page.to_string()),
            ];
            if let Some(selector) = label_selector {
                query.push(("label_selector", selector.to_owned()));
            }
            let path = format!("/{collection}?page={page}");
            let body = self.get(collection, &query, &path).await?;
            let listing: L = serde_json::from_slice(&body).map_err(|error| HcloudError::Shape {
                path: path.clone(),
                expected: format!("list of {collection}"),
                message: error.to_string(),
            })?;
            let Page {
                items: page_items,
                next_page,
            } = listing.into_page().map_err(|error| HcloudError::Shape {
                path: path.clone(),
                expected: format!("list of {collection}"),
                message: error.to_string(),
            })?;
            items.extend(page_items);
            match next_page {
                Some(next) if next > page => page = next,
                _ => return Ok(items),
            }
        }
        Err(HcloudError::PageLimit {
            collection: collection.to_owned(),
            max_pages: self.options.max_pages.max(1),
            next_page: page,
        })
    }

    /// GET `/{collection}` with `query`, retrying on 429; `path` names the
    /// request in messages.
    async fn get(
        &self,
        collection: &str,
        query: &[(&str, String)],
        path: &str,
    ) -> Result<bytes::Bytes, HcloudError> {
        let url = format!("{}/{collection}", self.base());
        let transport = |message: String| HcloudError::Transport {
            path: path.to_owned(),
            message,
        };
        let attempts = self.options.max_attempts.max(1);
        for attempt in 1..=attempts {
            let mut request = self.configuration.client.get(&url).query(query);
            if let Some(agent) = &self.configuration.user_agent {
                request = request.header(reqwest::header::USER_AGENT, agent);
            }
            if let Some(token) = &self.configuration.bearer_access_token {
                request = request.bearer_auth(token);
            }
            let response = request
                .header(reqwest::header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|error| transport(describe_chain(&error.without_url())))?;
            let status = response.status();
            let wait = retry_after(response.headers());
            let body = response
                .bytes()
                .await
                .map_err(|error| transport(describe_chain(&error.without_url())))?;
            if status == StatusCode::TOO_MANY_REQUESTS {
                if attempt == attempts {
                    break;
                }
                let wait = self.rate_limit_wait(wait, attempt);
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
                return Ok(body);
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
            attempts,
        })
    }

    /// How long to wait before retrying: what the server announced, else an
    /// exponential backoff; never longer than `max_wait`.
    fn rate_limit_wait(&self, announced: Option<Duration>, attempt: u32) -> Duration {
        announced
            .unwrap_or_else(|| Duration::from_millis(500u64 << attempt.min(6)))
            .clamp(Duration::from_millis(50), self.options.max_wait)
    }
}

/// The wait a 429 announces: `Retry-After` (seconds), else `RateLimit-Reset`
/// (the Unix time at which the bucket is full again).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<i64>().ok())
    };
    if let Some(seconds) = number("Retry-After") {
        return Some(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)));
    }
    let reset = number("RateLimit-Reset")?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    Some(Duration::from_millis(
        u64::try_from(reset.saturating_mul(1000) - now_ms).unwrap_or(0),
    ))
}

/// The documented error body (`models::ErrorResponse`), or placeholders when
/// the body is not in that shape.
fn error_body(body: &[u8]) -> (String, String) {
    match serde_json::from_slice::<models::ErrorResponse>(body) {
        Ok(response) => (
            one_line(&response.error.code),
            one_line(&response.error.message),
        ),
        Err(_) => (
            "unknown_error".into(),
            "(no documented error body in the response)".into(),
        ),
    }
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
    fn retry_after_wins_over_rate_limit_reset() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("RateLimit-Reset", "0".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert("Retry-After", "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
    }

    #[test]
    fn the_debug_form_hides_the_token() {
        let client = Client::new(
            "http://127.0.0.1:1/v1",
            "secret-token-value".into(),
            ClientOptions::default(),
        )
        .unwrap();
        let shown = format!("{client:?}");
        assert!(shown.contains("127.0.0.1:1/v1") && !shown.contains("secret-token-value"));
    }

    proptest! {
        #[test]
        fn error_body_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = error_body(&bytes);
        }
    }
}
