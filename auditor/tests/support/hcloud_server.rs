//! A local stand-in for the Hetzner Cloud API (https://docs.hetzner.cloud/),
//! serving the documented response shapes over HTTP/1.1 on a loopback port:
//! bearer-token authentication, `page`/`per_page` pagination with
//! `meta.pagination`, `label_selector` (`k=v`, `k==v`, `k!=v`, `k`, `!k`,
//! `k in (a,b)`, `k notin (a,b)`), the error body `{"error":{"code","message",
//! "details"}}` with documented codes only, and 429 `rate_limit_exceeded` with
//! the `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers.
//!
//! [`shapes`] builds objects with every field the API documents, so the
//! client's typed decoding is exercised as against the real API.

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
    /// Every page announces a next page (a server that never ends).
    endless: bool,
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

    /// Makes every page announce `next_page`, however far the client goes.
    pub fn endless_pages(&self) {
        self.lock().endless = true;
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
        400 => "Bad Request",
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
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let collection = path.strip_prefix("/v1/").unwrap_or_default();
    // Only the list endpoints are served; anything else does not exist here.
    let Some(items) = inner
        .collections
        .get(collection)
        .filter(|_| method == "GET")
    else {
        return error(404, "not_found", &format!("{method} {path} not found"));
    };
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), percent_decode(v)))
        .collect();
    let number = |name: &str, default: usize| match params.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                error(
                    400,
                    "invalid_input",
                    &format!("invalid input in field '{name}'"),
                )
            }),
    };
    let page = match number("page", 1) {
        Ok(page) => page,
        Err(answer) => return answer,
    };
    let per_page = match number("per_page", 25) {
        Ok(per_page) => per_page.min(inner.max_per_page),
        Err(answer) => return answer,
    };
    let expressions = match params.get("label_selector").map(|s| parse_selector(s)) {
        None => Vec::new(),
        Some(Ok(expressions)) => expressions,
        Some(Err(message)) => {
            return error(
                400,
                "invalid_input",
                &format!("invalid label_selector: {message}"),
            )
        }
    };
    let selected: Vec<&Value> = items
        .iter()
        .filter(|item| {
            let labels = item.get("labels").unwrap_or(&Value::Null);
            expressions.iter().all(|e| e.matches(labels))
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
    let next = if page < last_page || inner.endless {
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

/// One expression of a label selector.
#[derive(Debug, PartialEq)]
pub enum Expression {
    Equals(String, String),
    NotEquals(String, String),
    Present(String),
    Absent(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl Expression {
    fn matches(&self, labels: &Value) -> bool {
        let label = |key: &str| labels.get(key).and_then(Value::as_str);
        match self {
            Expression::Equals(key, value) => label(key) == Some(value.as_str()),
            Expression::NotEquals(key, value) => label(key) != Some(value.as_str()),
            Expression::Present(key) => label(key).is_some(),
            Expression::Absent(key) => label(key).is_none(),
            Expression::In(key, values) => {
                label(key).is_some_and(|v| values.iter().any(|x| x == v))
            }
            Expression::NotIn(key, values) => {
                !label(key).is_some_and(|v| values.iter().any(|x| x == v))
            }
        }
    }
}

/// Parses the documented selector syntax: comma-separated expressions, all of
/// which must hold; commas inside `( )` separate set members.
pub fn parse_selector(selector: &str) -> Result<Vec<Expression>, String> {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (index, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1).ok_or("unbalanced `)`")?,
            ',' if depth == 0 => {
                terms.push(&selector[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced `(`".into());
    }
    terms.push(&selector[start..]);
    let key = |text: &str| -> Result<String, String> {
        let text = text.trim();
        let valid = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        valid
            .then(|| text.to_owned())
            .ok_or_else(|| format!("invalid key `{text}`"))
    };
    let set = |text: &str| -> Result<Vec<String>, String> {
        let inner = text
            .trim()
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .ok_or_else(|| format!("expected `(v1,v2)`, got `{}`", text.trim()))?;
        Ok(inner.split(',').map(|v| v.trim().to_owned()).collect())
    };
    terms
        .into_iter()
        .map(str::trim)
        .map(|term| {
            if term.is_empty() {
                return Err("empty expression".to_owned());
            }
            if let Some((k, rest)) = term.split_once(" notin ") {
                return Ok(Expression::NotIn(key(k)?, set(rest)?));
            }
            if let Some((k, rest)) = term.split_once(" in ") {
                return Ok(Expression::In(key(k)?, set(rest)?));
            }
            if let Some((k, v)) = term.split_once("!=") {
                return Ok(Expression::NotEquals(key(k)?, v.trim().to_owned()));
            }
            if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                return Ok(Expression::Equals(key(k)?, v.trim().to_owned()));
            }
            if let Some(k) = term.strip_prefix('!') {
                return Ok(Expression::Absent(key(k)?));
            }
            Ok(Expression::Present(key(term)?))
        })
        .collect()
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

/// Objects with every field the API documents for them (the `hcloud` crate's
/// models, generated from the API's OpenAPI description, require them).
pub mod shapes {
    use serde_json::{json, Value};

    pub const CREATED: &str = "2026-01-05T10:00:00+00:00";

    fn price() -> Value {
        json!({"net": "4.5900", "gross": "5.4621"})
    }

    pub fn location(name: &str) -> Value {
        let (id, city, country, zone) = match name {
            "fsn1" => (1, "Falkenstein", "DE", "eu-central"),
            "hel1" => (3, "Helsinki", "FI", "eu-central"),
            "ash" => (4, "Ashburn, VA", "US", "us-east"),
            _ => (2, "Nuremberg", "DE", "eu-central"),
        };
        json!({"id": id, "name": name, "description": format!("{city} DC Park 1"), "country": country,
               "city": city, "latitude": 49.452102, "longitude": 11.076665, "network_zone": zone})
    }

    pub fn datacenter(location_name: &str) -> Value {
        json!({"id": 3, "name": format!("{location_name}-dc3"), "description": format!("{location_name} virtual DC 3"),
               "location": location(location_name),
               "server_types": {"supported": [22, 23], "available": [22, 23], "available_for_migration": [22, 23]}})
    }

    pub fn server_type(name: &str) -> Value {
        let (id, cores, memory, disk) = match name {
            "cx32" => (23, 4, 8.0, 80),
            "cx42" => (24, 8, 16.0, 160),
            _ => (22, 2, 4.0, 40),
        };
        json!({"id": id, "name": name, "description": name.to_uppercase(), "category": "cost_optimized",
               "cores": cores, "memory": memory, "disk": disk, "deprecated": false, "deprecation": null,
               "prices": [{"location": "nbg1", "price_hourly": price(), "price_monthly": price(),
                           "included_traffic": 21990232555520u64, "price_per_tb_traffic": price()}],
               "storage_type": "local", "cpu_type": "shared", "architecture": "x86",
               "locations": [{"id": 2, "name": "nbg1", "deprecation": null}]})
    }

    pub fn image(name: &str) -> Value {
        let (id, flavor, version) = match name {
            "debian-12" => (114690387, "debian", "12"),
            _ => (161547269, "ubuntu", "24.04"),
        };
        json!({"id": id, "type": "system", "status": "available", "name": name, "description": name,
               "image_size": null, "disk_size": 5, "created": CREATED, "created_from": null, "bound_to": null,
               "os_flavor": flavor, "os_version": version, "rapid_deploy": true,
               "protection": {"delete": false}, "deprecated": null, "deleted": null, "labels": {},
               "architecture": "x86"})
    }

    pub fn protection() -> Value {
        json!({"delete": false})
    }

    pub fn load_balancer_type(name: &str) -> Value {
        let (id, connections, services, targets) = match name {
            "lb21" => (2, 20000, 15, 75),
            _ => (1, 10000, 5, 25),
        };
        json!({"id": id, "name": name, "description": name.to_uppercase(), "max_connections": connections,
               "max_services": services, "max_targets": targets, "max_assigned_certificates": 10,
               "deprecated": null, "prices": [{"location": "nbg1", "price_hourly": price(), "price_monthly": price(),
               "included_traffic": 21990232555520u64, "price_per_tb_traffic": price()}]})
    }

    /// A server; `network` is its private network and IP in it.
    #[allow(clippy::too_many_arguments)]
    pub fn server(
        id: u64,
        name: &str,
        server_type_name: &str,
        labels: Value,
        ipv4: &str,
        ipv6_net: &str,
        network: (u64, &str),
        placement_group: Option<Value>,
    ) -> Value {
        json!({
            "id": id, "name": name, "status": "running", "created": CREATED,
            "public_net": {
                "ipv4": {"id": id + 100000, "ip": ipv4, "blocked": false, "dns_ptr": format!("static.{ipv4}.clients.your-server.de")},
                "ipv6": {"id": id + 200000, "ip": ipv6_net, "blocked": false, "dns_ptr": []},
                "floating_ips": [], "firewalls": [{"id": 1001, "status": "applied"}]
            },
            "private_net": [{"network": network.0, "ip": network.1, "alias_ips": [], "mac_address": "86:00:00:2a:7d:e0"}],
            "server_type": server_type(server_type_name),
            "datacenter": datacenter("nbg1"),
            "location": location("nbg1"),
            "image": image("ubuntu-24.04"), "iso": null,
            "rescue_enabled": false, "locked": false, "backup_window": null,
            "outgoing_traffic": 123456, "ingoing_traffic": 123456, "included_traffic": 21990232555520u64,
            "protection": {"delete": false, "rebuild": false},
            "labels": labels, "volumes": [], "load_balancers": [6001],
            "primary_disk_size": 40,
            "placement_group": placement_group
        })
    }

    pub fn placement_group(id: u64, name: &str, labels: Value, servers: &[u64]) -> Value {
        json!({"id": id, "name": name, "type": "spread", "labels": labels, "servers": servers, "created": CREATED})
    }

    pub fn network(
        id: u64,
        name: &str,
        ip_range: &str,
        labels: Value,
        subnets: Vec<Value>,
        servers: &[u64],
    ) -> Value {
        json!({"id": id, "name": name, "ip_range": ip_range, "labels": labels, "subnets": subnets, "routes": [],
               "servers": servers, "load_balancers": [6001], "protection": protection(), "created": CREATED,
               "expose_routes_to_vswitch": false})
    }

    pub fn subnet(ip_range: &str, gateway: &str) -> Value {
        json!({"type": "cloud", "ip_range": ip_range, "network_zone": "eu-central", "gateway": gateway, "vswitch_id": null})
    }

    pub fn firewall(id: u64, name: &str, labels: Value, rules: Vec<Value>) -> Value {
        json!({"id": id, "name": name, "labels": labels, "created": CREATED, "rules": rules,
               "applied_to": [{"type": "label_selector", "label_selector": {"selector": "cluster=prod"},
                               "applied_to_resources": [{"type": "server", "server": {"id": 5001}}]}]})
    }

    pub fn rule(
        protocol: &str,
        port: Option<&str>,
        source_ips: &[&str],
        description: &str,
    ) -> Value {
        json!({"direction": "in", "protocol": protocol, "port": port, "source_ips": source_ips,
               "destination_ips": [], "description": description})
    }

    pub fn load_balancer(
        id: u64,
        name: &str,
        type_name: &str,
        labels: Value,
        ipv4: &str,
        ipv6: &str,
    ) -> Value {
        json!({"id": id, "name": name, "created": CREATED, "labels": labels,
               "load_balancer_type": load_balancer_type(type_name), "location": location("nbg1"),
               "public_net": {"enabled": true, "ipv4": {"ip": ipv4, "dns_ptr": null}, "ipv6": {"ip": ipv6, "dns_ptr": null}},
               "private_net": [{"network": 2001, "ip": "10.255.0.10"}],
               "algorithm": {"type": "round_robin"}, "services": [], "targets": [],
               "protection": protection(), "outgoing_traffic": null, "ingoing_traffic": null,
               "included_traffic": 21990232555520u64})
    }

    pub fn volume(id: u64, name: &str, size: u64, labels: Value, server: Option<u64>) -> Value {
        json!({"id": id, "name": name, "created": CREATED, "size": size, "server": server, "location": location("nbg1"),
               "labels": labels, "linux_device": format!("/dev/disk/by-id/scsi-0HC_Volume_{id}"),
               "format": "ext4", "status": "available", "protection": protection()})
    }

    pub fn ssh_key(
        id: u64,
        name: &str,
        fingerprint: &str,
        public_key: &str,
        labels: Value,
    ) -> Value {
        json!({"id": id, "name": name, "fingerprint": fingerprint, "public_key": public_key, "labels": labels,
               "created": CREATED})
    }

    pub fn primary_ip(id: u64, name: &str, ip: &str, labels: Value) -> Value {
        json!({"id": id, "name": name, "type": "ipv4", "ip": ip, "created": CREATED, "blocked": false,
               "dns_ptr": [{"ip": ip, "dns_ptr": format!("static.{ip}.clients.your-server.de")}],
               "datacenter": datacenter("nbg1"), "location": location("nbg1"),
               "assignee_id": null, "assignee_type": "server", "auto_delete": false,
               "labels": labels, "protection": protection()})
    }

    pub fn floating_ip(id: u64, name: &str, ip: &str, server: Option<u64>, labels: Value) -> Value {
        json!({"id": id, "name": name, "description": null, "type": "ipv4", "ip": ip, "created": CREATED,
               "blocked": false, "server": server, "home_location": location("nbg1"),
               "dns_ptr": [{"ip": ip, "dns_ptr": format!("static.{ip}.clients.your-server.de")}],
               "labels": labels, "protection": protection()})
    }
}

/// The cloud `tests/data/states/cluster.tfstate` describes, for the live drift tests.
pub mod cluster {
    use std::collections::BTreeMap;

    use serde_json::{json, Value};

    use super::{shapes, HcloudServer};

    pub fn labels(role: Option<&str>) -> Value {
        let mut labels = json!({"cluster": "prod", "provisioner": "terraform", "engine": "k3s"});
        if let Some(role) = role {
            labels["role"] = role.into();
        }
        labels
    }

    pub fn server(id: u64, name: &str, server_type: &str, labels: Value) -> Value {
        let n = id - 5000;
        shapes::server(
            id,
            name,
            server_type,
            labels,
            &format!("49.12.1.{}", 9 + n),
            &format!("2a01:4f8:1c1c:{n:x}::/64"),
            (2001, &format!("10.255.0.{}", 100 + n)),
            Some(shapes::placement_group(
                3001,
                "prod-cp",
                self::labels(None),
                &[5001, 5002],
            )),
        )
    }

    pub type Cloud = BTreeMap<&'static str, Vec<Value>>;

    /// The cloud exactly as `cluster.tfstate` describes it.
    pub fn matching_cloud() -> Cloud {
        let mut cloud = Cloud::new();
        cloud.insert(
            "servers",
            vec![
                server(
                    5001,
                    "prod-control-plane-nbg1-abc",
                    "cx22",
                    labels(Some("control_plane")),
                ),
                server(5002, "prod-agent-small-def", "cx22", labels(Some("agent"))),
            ],
        );
        cloud.insert(
            "networks",
            vec![shapes::network(
                2001,
                "prod",
                "10.0.0.0/8",
                labels(None),
                vec![shapes::subnet("10.255.0.0/16", "10.0.0.1")],
                &[5001, 5002],
            )],
        );
        cloud.insert(
            "firewalls",
            vec![shapes::firewall(
                1001,
                "prod",
                labels(None),
                vec![
                    shapes::rule("tcp", Some("6443"), &["10.0.0.0/8"], "kube-apiserver"),
                    shapes::rule("icmp", None, &["0.0.0.0/0", "::/0"], "ping"),
                ],
            )],
        );
        cloud.insert(
            "placement_groups",
            vec![shapes::placement_group(
                3001,
                "prod-cp",
                labels(None),
                &[5001, 5002],
            )],
        );
        cloud.insert(
            "ssh_keys",
            vec![shapes::ssh_key(
                4001,
                "prod",
                "b7:2f:4a:10:22:9d:5e:61:00:aa:3c:7e:91:0d:42:ee",
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF1b2R1Y3Rpb24ta2V5LWZvci10ZXN0aW5nLW9ubHk ops@example",
                labels(None),
            )],
        );
        cloud.insert(
            "load_balancers",
            vec![shapes::load_balancer(
                6001,
                "prod",
                "lb11",
                labels(None),
                "49.12.1.20",
                "2a01:4f8:1c1c:10::1",
            )],
        );
        cloud.insert(
            "volumes",
            vec![shapes::volume(
                7001,
                "prod-longhorn",
                50,
                labels(None),
                Some(5002),
            )],
        );
        cloud.insert(
            "primary_ips",
            vec![shapes::primary_ip(
                8001,
                "prod-ingress",
                "49.12.1.30",
                labels(None),
            )],
        );
        cloud.insert(
            "floating_ips",
            vec![shapes::floating_ip(
                9001,
                "prod-egress",
                "49.12.1.40",
                Some(5002),
                labels(None),
            )],
        );
        cloud
    }

    pub fn seed(api: &HcloudServer, cloud: &Cloud) {
        for (collection, items) in cloud {
            api.set(collection, items.clone());
        }
    }
}
