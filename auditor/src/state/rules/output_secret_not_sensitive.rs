//! `state/output-secret-not-sensitive`: an output holds a secret-looking value
//! but is not marked `sensitive`.

use super::super::address_in;
use super::super::secrets::{classify, find_unmarked_secrets};
use super::super::source::LoadedState;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/output-secret-not-sensitive",
    default_severity: Severity::High,
    summary: "An output holds a secret-looking value but is not marked sensitive",
    help: "Outputs that are not sensitive are printed by `terraform output` and in plans and CI logs. Add `sensitive = true` to the output, and rotate the value if it was printed.",
};

/// Output names that announce a secret even when the value is short.
const SECRET_NAMES: [&str; 7] = [
    "password",
    "secret",
    "token",
    "private_key",
    "kubeconfig",
    "api_key",
    "credentials",
];

/// Names that point at a secret rather than hold one (`kubeconfig_path`).
const NOT_SECRET_SUFFIXES: [&str; 7] = [
    "_path",
    "_file",
    "_filename",
    "_url",
    "_id",
    "_name",
    "_arn",
];

fn looks_like_location(text: &str) -> bool {
    text.starts_with('/') || text.starts_with("./") || text.starts_with('~') || text.contains("://")
}

pub fn check(loaded: &LoadedState) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (name, output) in loaded.state.outputs.iter().filter(|(_, o)| !o.sensitive) {
        let address = address_in(&loaded.origin, &format!("output.{name}"));
        if let Some((path, kind)) = find_unmarked_secrets(&output.value, &[], "").first() {
            let at = if path.is_empty() {
                String::new()
            } else {
                format!(" at {path}")
            };
            findings.push(Finding::new(
                INFO.id,
                INFO.default_severity,
                address,
                format!("output `{name}` holds {kind}{at} but is not marked sensitive"),
            ));
            continue;
        }
        let lower = name.to_ascii_lowercase();
        let named_secret = SECRET_NAMES.iter().any(|word| lower.contains(word))
            && !NOT_SECRET_SUFFIXES
                .iter()
                .any(|suffix| lower.ends_with(suffix));
        let non_empty = output.value.as_str().is_some_and(|text| {
            !text.is_empty() && classify(text).is_none() && !looks_like_location(text)
        });
        if named_secret && non_empty {
            findings.push(Finding::new(
                INFO.id,
                INFO.default_severity,
                address,
                format!(
                    "output `{name}` is named like a secret and holds a value but is not marked sensitive"
                ),
            ));
        }
    }
    findings
}
