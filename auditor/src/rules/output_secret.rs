//! `plan/output-secret-not-sensitive`: an output looks secret but is not sensitive.

use serde_json::Value;

use super::PlanContext;
use crate::findings::{Finding, RuleInfo, Severity};

/// Name words that mark an output as secret.
const SECRET_WORDS: [&str; 10] = [
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "credentials",
    "kubeconfig",
    "apikey",
    "privatekey",
    "passphrase",
];

/// Secret terms written as several words (`kube_config`, `api-key`): matched
/// in the name with its separators removed.
const SECRET_COMPOUNDS: [&str; 6] = [
    "kubeconfig",
    "privatekey",
    "apikey",
    "accesskey",
    "secretkey",
    "clientsecret",
];

/// Words after `key` that make it an identifier, not a key (`ssh_key_id`).
const KEY_QUALIFIERS: [&str; 6] = ["id", "ids", "name", "names", "fingerprint", "fingerprints"];

/// Strings at least this long with this much entropy per character look random.
const RANDOM_MIN_LENGTH: usize = 32;
const RANDOM_MIN_BITS_PER_CHAR: f64 = 3.5;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/output-secret-not-sensitive",
    default_severity: Severity::High,
    summary: "An output looks secret but is not marked sensitive",
    help: "Outputs named like passwords, tokens, keys, credentials or kubeconfigs, or whose \
           value is a PEM private key or a long random string, are printed by `terraform \
           output` and stored readable in plans. Mark them `sensitive = true`.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .plan
        .output_changes
        .iter()
        .filter(|(_, output)| !output.is_sensitive())
        .filter(|(_, output)| output.actions.iter().any(|action| action != "delete"))
        .filter_map(|(name, output)| {
            let why = if name_looks_secret(name) {
                "its name looks secret"
            } else {
                value_looks_secret(&output.after)?
            };
            let address = format!("output.{name}");
            Some(Finding::new(
                INFO.id,
                INFO.default_severity,
                address.clone(),
                format!("{address} is not sensitive but {why}"),
            ))
        })
        .collect()
}

/// Whether an output name reads like a secret.
pub fn name_looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let squashed: String = words.concat();
    if SECRET_COMPOUNDS
        .iter()
        .any(|compound| squashed.contains(compound))
    {
        return true;
    }
    words.iter().enumerate().any(|(index, word)| {
        if SECRET_WORDS.contains(word) {
            return true;
        }
        if *word == "key" || *word == "keys" {
            let next = words.get(index + 1);
            let previous = index.checked_sub(1).and_then(|i| words.get(i));
            let public = previous.is_some_and(|p| *p == "public" || *p == "pub");
            return !public && !next.is_some_and(|n| KEY_QUALIFIERS.contains(n));
        }
        false
    })
}

/// Why a value looks secret, if it does.
pub fn value_looks_secret(value: &Value) -> Option<&'static str> {
    match value {
        Value::String(text) => {
            if text.contains("-----BEGIN") && text.contains("PRIVATE KEY-----") {
                Some("its value is a PEM private key")
            } else if looks_random(text) {
                Some("its value looks like a random secret")
            } else {
                None
            }
        }
        Value::Array(items) => items.iter().find_map(value_looks_secret),
        Value::Object(map) => map.values().find_map(value_looks_secret),
        _ => None,
    }
}

fn looks_random(text: &str) -> bool {
    let length = text.chars().count();
    if length < RANDOM_MIN_LENGTH || text.chars().any(char::is_whitespace) || is_uuid(text) {
        return false;
    }
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    let has_letter = text.chars().any(|c| c.is_ascii_alphabetic());
    has_digit && has_letter && bits_per_char(text) >= RANDOM_MIN_BITS_PER_CHAR
}

/// `8-4-4-4-12` hex digits: an identifier (a gate's plan_id, a server id), not a secret.
fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}

fn bits_per_char(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for character in text.chars() {
        *counts.entry(character).or_insert(0usize) += 1;
    }
    let total = text.chars().count() as f64;
    counts
        .values()
        .map(|count| {
            let p = *count as f64 / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for secret in [
            "kube_config",
            "hcloud-api-key",
            "db_password",
            "api-token",
            "kubeconfig",
            "ssh_private_key",
            "root_key",
            "credentials",
        ] {
            assert!(name_looks_secret(secret), "{secret}");
        }
        for plain in [
            "ssh_key_id",
            "public_key",
            "server_ip",
            "keyboard",
            "network_id",
            "ssh_key_names",
        ] {
            assert!(!name_looks_secret(plain), "{plain}");
        }
    }

    #[test]
    fn values() {
        let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----";
        assert!(value_looks_secret(&Value::String(pem.into())).is_some());
        assert!(value_looks_secret(&Value::String(
            "k3s-token-9f8a7B6c5D4e3F2g1H0iJkLmNoPq".into()
        ))
        .is_some());
        assert!(value_looks_secret(&Value::String(
            "https://example.org/a/long/path/to/something".into()
        ))
        .is_none());
        assert!(value_looks_secret(&Value::String("cx22".into())).is_none());
    }
}
