//! Recognising secret-looking values without ever printing them.
//!
//! A value is secret-looking when it holds a PEM private key, a token with a
//! well-known prefix, or a long high-entropy string. Attribute paths are what
//! findings show; values never leave this module.

use serde_json::Value;

/// Why a value looks like a secret (the value itself is never kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    PemPrivateKey,
    Token(&'static str),
    HighEntropy,
}

impl std::fmt::Display for SecretKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretKind::PemPrivateKey => f.write_str("a PEM private key"),
            SecretKind::Token(kind) => write!(f, "a {kind}"),
            SecretKind::HighEntropy => f.write_str("a high-entropy value"),
        }
    }
}

const TOKEN_PREFIXES: [(&str, &str); 8] = [
    ("ghp_", "GitHub token"),
    ("github_pat_", "GitHub token"),
    ("gho_", "GitHub token"),
    ("glpat-", "GitLab token"),
    ("xoxb-", "Slack token"),
    ("xoxp-", "Slack token"),
    ("sk_live_", "Stripe key"),
    ("K10", "k3s cluster token"),
];

/// Minimum length for the entropy test: shorter strings are names, not keys.
const MIN_ENTROPY_LENGTH: usize = 24;
/// Bits per character above which a string counts as random. Hex digests stay
/// below (at most 4 bits per character); random base64 or alphanumerics exceed it.
const ENTROPY_THRESHOLD: f64 = 4.2;

/// Classifies one string value.
pub fn classify(value: &str) -> Option<SecretKind> {
    if value.contains("PRIVATE KEY-----") && value.contains("-----BEGIN") {
        return Some(SecretKind::PemPrivateKey);
    }
    let trimmed = value.trim();
    if let Some(kind) = token_kind(trimmed) {
        return Some(kind);
    }
    if looks_random(trimmed) {
        return Some(SecretKind::HighEntropy);
    }
    // Longer text (kubeconfigs, cloud-init, scripts): look at each word for
    // well-known tokens and base64-encoded private keys.
    if trimmed.contains(char::is_whitespace) {
        for word in trimmed.split(|c: char| c.is_whitespace() || "\"',;".contains(c)) {
            let value = word.split_once('=').map_or(word, |(_, value)| value);
            if let Some(kind) = token_kind(word).or_else(|| token_kind(value)) {
                return Some(kind);
            }
            if is_base64_private_key(word) {
                return Some(SecretKind::PemPrivateKey);
            }
        }
    }
    None
}

fn token_kind(word: &str) -> Option<SecretKind> {
    for (prefix, kind) in TOKEN_PREFIXES {
        if word.starts_with(prefix)
            && word.len() >= prefix.len() + 16
            && !word.contains(char::is_whitespace)
        {
            return Some(SecretKind::Token(kind));
        }
    }
    is_jwt(word).then_some(SecretKind::Token("JSON web token"))
}

/// `LS0tLS1CRUdJTi` is `-----BEGIN` in base64, as kubeconfigs embed keys
/// (`client-key-data`).
fn is_base64_private_key(word: &str) -> bool {
    use base64::Engine as _;
    if !word.starts_with("LS0tLS1CRUdJTi") {
        return false;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(word)
        .unwrap_or_default();
    String::from_utf8_lossy(&decoded).contains("PRIVATE KEY-----")
}

fn is_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && text.starts_with("eyJ")
        && parts.iter().all(|part| {
            part.len() >= 8
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

fn looks_random(text: &str) -> bool {
    if text.len() < MIN_ENTROPY_LENGTH
        || text.contains(char::is_whitespace)
        || text.contains("://")
        || text.starts_with('/')
    {
        return false;
    }
    let token_chars = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+/=_-.".contains(c));
    let classes = [
        text.chars().any(|c| c.is_ascii_lowercase()),
        text.chars().any(|c| c.is_ascii_uppercase()),
        text.chars().any(|c| c.is_ascii_digit()),
    ]
    .iter()
    .filter(|present| **present)
    .count();
    token_chars && classes >= 2 && shannon_entropy(text) >= ENTROPY_THRESHOLD
}

/// Shannon entropy in bits per character.
pub fn shannon_entropy(text: &str) -> f64 {
    let mut counts = [0usize; 256];
    let bytes = text.as_bytes();
    for byte in bytes {
        counts[usize::from(*byte)] += 1;
    }
    let length = bytes.len() as f64;
    counts
        .iter()
        .filter(|count| **count > 0)
        .map(|count| {
            let p = *count as f64 / length;
            -p * p.log2()
        })
        .sum()
}

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Attr(String),
    Index(u64),
    Key(String),
}

/// Renders a path as `rule[0].source_ips`, `labels["role"]`. A name or map key
/// that itself looks like a secret (a map keyed by tokens) is shown as
/// `[(sensitive)]`: paths are printed, so they must not carry secrets either.
pub fn render_path(path: &[PathStep]) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            PathStep::Attr(name) | PathStep::Key(name) if classify(name).is_some() => {
                text.push_str(&format!("[{}]", crate::redact::REDACTED));
            }
            PathStep::Attr(name) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(name);
            }
            PathStep::Index(index) => text.push_str(&format!("[{index}]")),
            PathStep::Key(key) => text.push_str(&format!("[{key:?}]")),
        }
    }
    text
}

/// Reads Terraform's `sensitive_attributes` (a list of paths, each a list of
/// `{"type":"get_attr","value":NAME}` or `{"type":"index","value":{"value":K,"type":T}}`).
/// Entries in another shape are skipped.
pub fn sensitive_paths(sensitive_attributes: &[Value]) -> Vec<Vec<PathStep>> {
    sensitive_attributes
        .iter()
        .filter_map(|path| {
            let steps = path.as_array()?;
            steps.iter().map(path_step).collect::<Option<Vec<_>>>()
        })
        .collect()
}

fn path_step(step: &Value) -> Option<PathStep> {
    match step.get("type")?.as_str()? {
        "get_attr" => Some(PathStep::Attr(step.get("value")?.as_str()?.to_owned())),
        "index" => {
            let key = step.get("value")?;
            let inner = key.get("value").unwrap_or(key);
            match inner {
                Value::Number(number) => number.as_u64().map(PathStep::Index),
                Value::String(text) => Some(PathStep::Key(text.clone())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Attributes that hold digests or public material, never secrets, as
/// (resource type or `*`, attribute name). The hcloud provider stores a hash of
/// `user_data`, not the data.
const NOT_SECRET: [(&str, &str); 4] = [
    ("hcloud_server", "user_data"),
    ("*", "fingerprint"),
    ("*", "public_key"),
    ("*", "etag"),
];

/// Name endings of digest attributes (`content_sha256`, `output_base64sha512`).
const DIGEST_SUFFIXES: [&str; 6] = ["md5", "sha1", "sha256", "sha512", "hash", "checksum"];

/// Whether the attribute `name` of `resource_type` is known never to hold a secret.
fn known_not_secret(resource_type: &str, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    NOT_SECRET
        .iter()
        .any(|(kind, attribute)| (*kind == "*" || *kind == resource_type) && *attribute == lower)
        || DIGEST_SUFFIXES.iter().any(|suffix| lower.ends_with(suffix))
        || lower.starts_with("public_key")
}

/// Every secret-looking string under `value` that no sensitive path covers, as
/// (attribute path, kind). Values are matched against `sensitive` by prefix: a
/// sensitive object or list covers everything inside it. `resource_type` selects
/// the attributes known to hold digests (empty for outputs).
pub fn find_unmarked_secrets(
    value: &Value,
    sensitive: &[Vec<PathStep>],
    resource_type: &str,
) -> Vec<(String, SecretKind)> {
    let mut found = Vec::new();
    let mut path = Vec::new();
    walk(value, &mut path, sensitive, resource_type, &mut found);
    found
}

fn covered(path: &[PathStep], sensitive: &[Vec<PathStep>]) -> bool {
    sensitive.iter().any(|marked| {
        marked.len() <= path.len()
            && marked.iter().zip(path).all(|(m, p)| match (m, p) {
                (PathStep::Key(a), PathStep::Attr(b)) | (PathStep::Attr(a), PathStep::Key(b)) => {
                    a == b
                }
                _ => m == p,
            })
    })
}

fn walk(
    value: &Value,
    path: &mut Vec<PathStep>,
    sensitive: &[Vec<PathStep>],
    resource_type: &str,
    found: &mut Vec<(String, SecretKind)>,
) {
    if covered(path, sensitive) {
        return;
    }
    if let Some(PathStep::Attr(name) | PathStep::Key(name)) = path.last() {
        if known_not_secret(resource_type, name) {
            return;
        }
    }
    match value {
        Value::String(text) => {
            if let Some(kind) = classify(text) {
                found.push((render_path(path), kind));
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(PathStep::Index(index as u64));
                walk(item, path, sensitive, resource_type, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            let is_top = path.is_empty();
            for (key, item) in map {
                path.push(if is_top || !looks_like_map_key(key) {
                    PathStep::Attr(key.clone())
                } else {
                    PathStep::Key(key.clone())
                });
                walk(item, path, sensitive, resource_type, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// Nested object keys that are not identifiers (labels such as `hcloud/node`)
/// are map keys rather than attribute names.
fn looks_like_map_key(key: &str) -> bool {
    !key.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn classifies_data_driven_examples() {
        let cases: [(&str, Option<SecretKind>); 13] = [
            (
                "apiVersion: v1\nusers:\n- user:\n    client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSUJhc2U2NAotLS0tLUVORCBFQyBQUklWQVRFIEtFWS0tLS0tCg==\n",
                Some(SecretKind::PemPrivateKey),
            ),
            (
                "#cloud-config\nwrite_files:\n- content: \"token: K10a3f1c9e2b7d4f8a6c5e1b3d9f7a2c4e8b6d1f3a5c7e9b2d4f6a8c1e3b5d7f9a2::server:3c9f\"\n",
                Some(SecretKind::Token("k3s cluster token")),
            ),
            (
                "certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUI=\nserver: https://10.0.0.2:6443",
                None,
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n",
                Some(SecretKind::PemPrivateKey),
            ),
            ("ghp_0123456789abcdefABCDEF0123456789abcd", Some(SecretKind::Token("GitHub token"))),
            (
                "Xk9vQ2pL7mN4rT8wZ1yB5cF3hJ6kP0sD2gV9uE4aR7tY1iO8nM3lQ5xW6zC0bH2e",
                Some(SecretKind::HighEntropy),
            ),
            ("ubuntu-24.04", None),
            ("cx22", None),
            ("10.0.0.0/16", None),
            ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", None),
            ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ0b3RhbGx5LWZha2Uta2V5LWZvci10ZXN0cw user@host", None),
            ("https://api.hetzner.cloud/v1/servers?label_selector=cluster", None),
            ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", None),
        ];
        for (value, expected) in cases {
            assert_eq!(classify(value), expected, "{value}");
        }
    }

    #[test]
    fn sensitive_paths_cover_their_contents() {
        let attributes = json!({
            "name": "web",
            "private_key": "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----",
            "user_data": "-----BEGIN EC PRIVATE KEY-----\nabc\n-----END EC PRIVATE KEY-----",
            "nested": [{"token": "ghp_0123456789abcdefABCDEF0123456789abcd"}]
        });
        let sensitive = sensitive_paths(&[json!([{"type": "get_attr", "value": "private_key"}])]);
        let found = find_unmarked_secrets(&attributes, &sensitive, "tls_private_key");
        let paths: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["nested[0].token", "user_data"]);
    }

    #[test]
    fn keys_that_look_like_secrets_are_not_printed() {
        let attributes = json!({
            "tokens": {"ghp_0123456789abcdefABCDEF0123456789abcd": "ghp_0123456789abcdefABCDEF0123456789abcd"}
        });
        let found = find_unmarked_secrets(&attributes, &[], "");
        let paths: Vec<&str> = found.iter().map(|(path, _)| path.as_str()).collect();
        assert_eq!(paths, ["tokens[(sensitive)]"]);
    }

    #[test]
    fn digests_and_public_material_are_not_secrets() {
        let attributes = json!({
            "user_data": "Gh8vWU5BCwyR9n0r6Nql3A+7xKq=",
            "output_base64sha256": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo=",
            "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----"
        });
        assert!(find_unmarked_secrets(&attributes, &[], "hcloud_server").is_empty());
    }

    proptest! {
        #[test]
        fn classify_never_panics(text in "\\PC{0,80}") {
            let _ = classify(&text);
        }

        /// The secret sits at the end of a random path whose steps may be the
        /// secret itself (a map keyed by tokens): it is found, and no printed
        /// path carries it.
        #[test]
        fn found_paths_never_contain_the_value(
            tail in "[A-Za-z0-9]{36,48}",
            steps in proptest::collection::vec(
                prop_oneof![
                    "[a-z_]{1,8}".prop_map(Some),
                    "[a-z]{1,6}/[a-z]{1,6}".prop_map(Some),
                    Just(None),
                ],
                1..5,
            ),
            in_list in any::<bool>(),
        ) {
            let secret = format!("ghp_{tail}");
            let mut value = if in_list {
                json!(["plain", secret.clone()])
            } else {
                Value::String(secret.clone())
            };
            for step in steps.iter().rev() {
                let key = step.clone().unwrap_or_else(|| secret.clone());
                value = json!({ key: value });
            }
            let found = find_unmarked_secrets(&value, &[], "");
            prop_assert!(!found.is_empty(), "the secret was not found in {value}");
            for (path, _) in found {
                prop_assert!(!path.contains(&tail), "{path}");
            }
        }
    }
}
