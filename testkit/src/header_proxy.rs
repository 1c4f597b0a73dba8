//! An HTTP proxy in front of a [`S3Server`] that stands in for a broken or slow
//! S3 endpoint: it forwards every request, and can be told to drop named request
//! headers (such as `If-Match`) and to hold chosen requests back for a while
//! before forwarding them (a PUT "in flight").
//!
//! It can also make the server's conditional writes atomic: moto checks
//! `If-Match` / `If-None-Match` and then stores the object without holding a lock,
//! so two concurrent conditional PUTs of the same key can both succeed, which
//! Cloudflare R2 and AWS S3 never allow. [`HeaderProxy::serialise_writes`]
//! forwards one write at a time, so that races against the proxy test the client,
//! not moto's threading.
//!
//! One thread per client connection; every request is forwarded on a fresh
//! upstream connection and answered with `Connection: close`, which keeps the
//! framing trivial and is what an SDK's connection pool copes with anyway.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::S3Server;

/// One request the proxy received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    /// The request target, e.g. `/bucket/guardrail/locks/staging.json?x-id=PutObject`.
    pub path: String,
    /// Names (lowercase) of the headers dropped from this request.
    pub stripped: Vec<String>,
    /// Every header as the client sent it (names lowercase), dropped ones included.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    /// The value of header `name` (case-insensitive) as the client sent it.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

#[derive(Debug, Clone)]
struct Delay {
    method: String,
    path_contains: String,
    delay: Duration,
}

#[derive(Debug, Default)]
struct Rules {
    stripped: Vec<String>,
    delays: Vec<Delay>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    rules: Mutex<Rules>,
    seen: Mutex<Vec<SeenRequest>>,
    stopping: AtomicBool,
    serialise: AtomicBool,
    /// Held while a write is forwarded, when `serialise` is set.
    write_gate: Mutex<()>,
}

/// A running proxy on `127.0.0.1:<free port>`. Dropping it stops accepting.
#[derive(Debug)]
pub struct HeaderProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
}

impl HeaderProxy {
    /// Starts a proxy forwarding to `server`.
    pub fn start(server: &S3Server) -> Self {
        Self::start_for(&server.endpoint())
    }

    /// Starts a proxy forwarding to `endpoint` (`http://127.0.0.1:PORT`).
    pub fn start_for(endpoint: &str) -> Self {
        let upstream: SocketAddr = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| panic!("upstream {endpoint:?} is not http://IP:PORT: {e}"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy's port");
        let address = listener.local_addr().expect("the proxy's address");
        let shared = Arc::new(Shared {
            upstream,
            rules: Mutex::new(Rules::default()),
            seen: Mutex::new(Vec::new()),
            stopping: AtomicBool::new(false),
            serialise: AtomicBool::new(false),
            write_gate: Mutex::new(()),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = accepting.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &shared);
                });
            }
        });
        HeaderProxy { address, shared }
    }

    /// `http://127.0.0.1:PORT`, to use as the S3 endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Drops the request header `name` (case-insensitive) from every request from now on.
    pub fn strip_header(&self, name: &str) {
        let mut rules = self.shared.rules.lock().unwrap();
        let name = name.to_ascii_lowercase();
        if !rules.stripped.contains(&name) {
            rules.stripped.push(name);
        }
    }

    /// Forwards every header again.
    pub fn keep_all_headers(&self) {
        self.shared.rules.lock().unwrap().stripped.clear();
    }

    /// Holds back requests with `method` whose target contains `path_contains` for
    /// `delay` before forwarding them.
    pub fn delay(&self, method: &str, path_contains: &str, delay: Duration) {
        self.shared.rules.lock().unwrap().delays.push(Delay {
            method: method.to_ascii_uppercase(),
            path_contains: path_contains.to_string(),
            delay,
        });
    }

    /// Forwards every request at once again.
    pub fn clear_delays(&self) {
        self.shared.rules.lock().unwrap().delays.clear();
    }

    /// Forwards writes (PUT, POST, DELETE) one at a time, so that the server's
    /// check of a condition and its write cannot interleave with another write.
    pub fn serialise_writes(&self) {
        self.shared.serialise.store(true, Ordering::SeqCst);
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.seen.lock().unwrap().clone()
    }

    /// Waits until a request with `method` whose target contains `path_contains`
    /// has been received; false after `timeout`.
    pub fn wait_for(&self, method: &str, path_contains: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.requests().iter().any(|seen| {
                seen.method.eq_ignore_ascii_case(method) && seen.path.contains(path_contains)
            }) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for HeaderProxy {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

/// A parsed request: line, headers (in order) and body.
struct Request {
    method: String,
    target: String,
    version: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

/// A request line (or status line) and its headers, in order.
type Head = (String, Vec<(String, String)>);

fn read_head(reader: &mut impl BufRead) -> std::io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let first = line.trim_end().to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((key, value)) = line.trim_end().split_once(':') {
            headers.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    Ok(Some((first, headers)))
}

/// The body of a chunked message, raw (chunk sizes and trailer included).
fn read_chunked(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line)?;
        raw.extend_from_slice(size_line.as_bytes());
        let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        if size == 0 {
            // Trailer lines up to the empty line.
            loop {
                let mut trailer = String::new();
                if reader.read_line(&mut trailer)? == 0 {
                    return Ok(raw);
                }
                raw.extend_from_slice(trailer.as_bytes());
                if trailer == "\r\n" || trailer == "\n" {
                    return Ok(raw);
                }
            }
        }
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk)?;
        raw.extend_from_slice(&chunk);
    }
}

fn read_request(
    reader: &mut BufReader<TcpStream>,
    client: &mut TcpStream,
) -> std::io::Result<Option<Request>> {
    let Some((line, mut headers)) = read_head(reader)? else {
        return Ok(None);
    };
    let mut parts = line.split_whitespace();
    let (method, target, version) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or("HTTP/1.1").to_string(),
    );
    if header(&headers, "expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        client.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        headers.retain(|(key, _)| !key.eq_ignore_ascii_case("expect"));
    }
    let body = if header(&headers, "transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        read_chunked(reader)?
    } else {
        let length = header(&headers, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        body
    };
    Ok(Some(Request {
        method,
        target,
        version,
        headers,
        body,
    }))
}

fn serve(client: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut writer = client.try_clone()?;
    let mut reader = BufReader::new(client);
    let Some(mut request) = read_request(&mut reader, &mut writer)? else {
        return Ok(());
    };
    let (stripped, delay) = {
        let rules = shared.rules.lock().unwrap();
        let stripped: Vec<String> = request
            .headers
            .iter()
            .map(|(key, _)| key.to_ascii_lowercase())
            .filter(|key| rules.stripped.contains(key))
            .collect();
        let delay = rules
            .delays
            .iter()
            .filter(|d| d.method == request.method && request.target.contains(&d.path_contains))
            .map(|d| d.delay)
            .max();
        (stripped, delay)
    };
    let sent = request
        .headers
        .iter()
        .map(|(key, value)| (key.to_ascii_lowercase(), value.clone()))
        .collect();
    request
        .headers
        .retain(|(key, _)| !stripped.contains(&key.to_ascii_lowercase()));
    shared.seen.lock().unwrap().push(SeenRequest {
        method: request.method.clone(),
        path: request.target.clone(),
        stripped,
        headers: sent,
    });
    if let Some(delay) = delay {
        std::thread::sleep(delay);
    }
    let is_write = matches!(request.method.as_str(), "PUT" | "POST" | "DELETE");
    let response = if is_write && shared.serialise.load(Ordering::SeqCst) {
        let _one_at_a_time = shared
            .write_gate
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        forward(shared.upstream, &request)?
    } else {
        forward(shared.upstream, &request)?
    };
    writer.write_all(&close_connection(&response))?;
    writer.flush()?;
    Ok(())
}

fn forward(upstream: SocketAddr, request: &Request) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(upstream)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut head = format!(
        "{} {} {}\r\n",
        request.method, request.target, request.version
    );
    for (key, value) in &request.headers {
        if !key.eq_ignore_ascii_case("connection") {
            head.push_str(&format!("{key}: {value}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(&request.body)?;
    stream.flush()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Ok(response)
}

/// The response with its `Connection` header replaced by `Connection: close`.
fn close_connection(response: &[u8]) -> Vec<u8> {
    let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return response.to_vec();
    };
    let head = String::from_utf8_lossy(&response[..end]);
    let mut lines: Vec<&str> = head
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    let mut out = lines.join("\r\n").into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(&response[end + 4..]);
    out
}
