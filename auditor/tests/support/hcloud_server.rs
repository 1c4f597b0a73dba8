//! A local stand-in for the Hetzner Cloud API (https://docs.hetzner.cloud/),
//! serving the documented response shapes over HTTP/1.1 on a loopback port:
//! bearer-token authentication, `page`/`per_page` pagination with
//! `meta.pagination`, `label_selector` (`k=v`, `k==v`, `k!=v`, `k`, `!k`), the
//! error body `{"error":{"code","message"}}`, and 429 with `RateLimit-*` headers.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

#[derive(Default)]
struct Inner {
    token: String,
    collections: BTreeMap<String, Vec<Value>>,
    /// Largest page the server hands out, whatever `per_page` asks for.
    max_per_page: usize,
    /// The next this-many requests are answered 429.
    rate_limited: usize,
    /// Seconds from now announced in `RateLimit-Reset`.
    reset_in: u64,
    requests: Vec<String>,
}

/// The running server; it stops with the test process.
#[derive(Clone)]
pub struct HcloudServer {
    inner: Arc<Mutex<Inner>>,
    port: u16,
}

impl HcloudServer {
    /// Starts a server accepting `token`.
    pub fn start(token: &str) -> HcloudServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let inner = Arc::new(Mutex::new(Inner {
            token: token.to_owned(),
            max_per_page: 50,
            ..Inner::default()
        }));
        let shared = inner.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        HcloudServer { inner, port }
    }

    /// The base URL, as `--hcloud-endpoint` takes it.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Replaces a collection (`servers`, `firewalls`, ...).
    pub fn set(&self, collection: &str, items: Vec<Value>) {
        self.lock().collections.insert(collection.to_owned(), items);
    }

    /// Caps pages at `size` items.
    pub fn max_per_page(&self, size: usize) {
        self.lock().max_per_page = size.max(1);
    }

    /// Answers the next `count` requests with 429, announcing a reset `reset_in` seconds ahead.
    pub fn rate_limit_next(&self, count: usize, reset_in: u64) {
        let mut inner = self.lock();
        inner.rate_limited = count;
        inner.reset_in = reset_in;
    }

    /// Every request target received so far (`/v1/servers?page=1&per_page=50`).
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn serve(stream: TcpStream, shared: &Mutex<Inner>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = value.trim().to_owned();
            }
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let (status, headers, body) = {
        let mut inner = shared
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.requests.push(target.clone());
        respond(&mut inner, &method, &target, &authorization)
    };
    let body = body.to_string();
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        _ => "Error",
    };
    let mut response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&body);
    let mut stream = stream;
    stream.write_all(response.as_bytes())?;
    stream.flush()
}

fn error(status: u16, code: &str, message: &str) -> (u16, Vec<(String, String)>, Value) {
    (
        status,
        Vec::new(),
        json!({"error": {"code": code, "message": message, "details": {}}}),
    )
}

fn respond(
    inner: &mut Inner,
    method: &str,
    target: &str,
    authorization: &str,
) -> (u16, Vec<(String, String)>, Value) {
    if authorization != format!("Bearer {}", inner.token) {
        return error(401, "unauthorized", "unable to authenticate");
    }
    if inner.rate_limited > 0 {
        inner.rate_limited -= 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let (status, mut headers, body) = error(
            429,
            "rate_limit_exceeded",
            "limit of 3600 requests per hour reached",
        );
        headers.push(("RateLimit-Limit".into(), "3600".into()));
        headers.push(("RateLimit-Remaining".into(), "0".into()));
        headers.push(("RateLimit-Reset".into(), (now + inner.reset_in).to_string()));
        return (status, headers, body);
    }
    if method != "GET" {
        return error(405, "method_not_allowed", "only GET is served here");
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some(collection) = path.strip_prefix("/v1/") else {
        return error(404, "not_found", "no such path");
    };
    let Some(items) = inner.collections.get(collection) else {
        return error(404, "not_found", "no such collection");
    };
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect();
    let page: usize = params
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let per_page: usize = params
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(25)
        .clamp(1, inner.max_per_page);
    let selected: Vec<&Value> = items
        .iter()
        .filter(|item| match params.get("label_selector") {
            Some(selector) => {
                matches_selector(item.get("labels").unwrap_or(&Value::Null), selector)
            }
            None => true,
        })
        .collect();
    let total = selected.len();
    let last_page = total.div_ceil(per_page).max(1);
    let page_items: Vec<Value> = selected
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .cloned()
        .collect();
    let next = if page < last_page {
        json!(page + 1)
    } else {
        Value::Null
    };
    let previous = if page > 1 {
        json!(page - 1)
    } else {
        Value::Null
    };
    (
        200,
        vec![
            ("RateLimit-Limit".into(), "3600".into()),
            ("RateLimit-Remaining".into(), "3599".into()),
        ],
        json!({
            collection: page_items,
            "meta": {"pagination": {
                "page": page, "per_page": per_page, "previous_page": previous,
                "next_page": next, "last_page": last_page, "total_entries": total
            }}
        }),
    )
}

/// `k=v`, `k==v`, `k!=v`, `k` (present) and `!k` (absent), comma-separated, all required.
fn matches_selector(labels: &Value, selector: &str) -> bool {
    let label = |key: &str| labels.get(key).and_then(Value::as_str);
    selector
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .all(|expression| {
            if let Some((key, value)) = expression.split_once("!=") {
                label(key.trim()) != Some(value.trim())
            } else if let Some((key, value)) = expression
                .split_once("==")
                .or_else(|| expression.split_once('='))
            {
                label(key.trim()) == Some(value.trim())
            } else if let Some(key) = expression.strip_prefix('!') {
                label(key.trim()).is_none()
            } else {
                label(expression).is_some()
            }
        })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        index += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
