//! `--policy DIR`: Rego policies (evaluated with regorus), conftest-compatible.
//!
//! Every `.rego` file under DIR (recursively, `*_test.rego` excluded) is
//! loaded; Rego v1 syntax first, v0 (`deny[msg] { ... }`) when v1 does not
//! parse. The input document is the plan JSON, as with
//! `conftest test plan.json`. Every package is evaluated (like conftest's
//! `--all-namespaces`):
//!
//! * `deny`, `violation`, and rules named `deny_*` / `violation_*` give
//!   `policy/deny` findings (high);
//! * `warn` and `warn_*` give `policy/warn` findings (medium);
//! * `exception` lists rule names (without the `deny_` / `warn_` prefix)
//!   whose results are dropped, as in conftest.
//!
//! A result is a message string, or an object with `msg` (and optionally
//! `address`, which the finding then points at). A result without `address`
//! points at the plan resource its message names (the longest one), else at
//! `policy.PACKAGE.RULE[N]`, its place among the rule's results: every result
//! is a finding of its own, with its own code-scanning fingerprint. Messages go
//! through the plan's redactor like every other finding.
//!
//! The engine is regorus with OPA's built-in functions (`regex`, `glob`,
//! `time`, `net`, `base64`, `semver`, `yaml`, `json.match_schema`, ...), as
//! conftest policies expect; only regorus' own allocator is left out, so that
//! tfaudit keeps the system one.
//!
//! May import: `findings`, `error`; nothing above.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regorus::Engine;
use serde_json::Value;

use crate::findings::{Finding, RuleInfo, Severity};

/// `policy/deny`.
pub const DENY: RuleInfo = RuleInfo {
    id: "policy/deny",
    default_severity: Severity::High,
    summary: "A Rego policy denies the plan",
    help: "A `deny` or `violation` rule of a policy in --policy DIR matched the plan. The message \
           comes from the policy; fix the change or add a conftest-style `exception`.",
};

/// `policy/warn`.
pub const WARN: RuleInfo = RuleInfo {
    id: "policy/warn",
    default_severity: Severity::Medium,
    summary: "A Rego policy warns about the plan",
    help: "A `warn` rule of a policy in --policy DIR matched the plan.",
};

/// A policy problem: the file (or directory) and what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid Rego: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: no .rego policies found")]
    Empty { path: PathBuf },
    #[error("policy evaluation failed in {package}: {message}")]
    Evaluate { package: String, message: String },
}

/// Loaded policies, ready to evaluate.
pub struct Policies {
    engine: Engine,
    packages: Vec<String>,
    files: usize,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("packages", &self.packages)
            .field("files", &self.files)
            .finish()
    }
}

impl Policies {
    /// Loads every policy under `dir`.
    pub fn load(dir: &Path) -> Result<Policies, PolicyError> {
        let mut files = Vec::new();
        collect_rego_files(dir, &mut files)?;
        files.sort();
        if files.is_empty() {
            return Err(PolicyError::Empty {
                path: dir.to_path_buf(),
            });
        }
        let mut engine = Engine::new();
        let mut packages = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).map_err(|source| PolicyError::Read {
                path: file.clone(),
                source,
            })?;
            packages.push(add_policy(&mut engine, file, text)?);
        }
        packages.sort();
        packages.dedup();
        Ok(Policies {
            engine,
            packages,
            files: files.len(),
        })
    }

    /// How many policy files were loaded.
    pub fn file_count(&self) -> usize {
        self.files
    }

    /// Evaluates every package against the plan JSON; `addresses` are the
    /// plan's resource addresses, which results that name one point at.
    pub fn evaluate(
        &mut self,
        plan_json: &str,
        addresses: &HashSet<&str>,
    ) -> Result<Vec<Finding>, PolicyError> {
        self.engine
            .set_input_json(plan_json)
            .map_err(|error| PolicyError::Evaluate {
                package: "input".into(),
                message: error.to_string(),
            })?;
        let mut findings = Vec::new();
        for package in self.packages.clone() {
            let evaluation_error = |message: String| PolicyError::Evaluate {
                package: package.clone(),
                message,
            };
            let results = self
                .engine
                .eval_query(package.clone(), false)
                .map_err(|error| evaluation_error(error.to_string()))?;
            let Some(value) = results
                .result
                .first()
                .and_then(|result| result.expressions.first())
                .map(|expression| expression.value.clone())
            else {
                continue;
            };
            let json = value
                .to_json_str()
                .map_err(|error| evaluation_error(error.to_string()))?;
            let document: Value =
                serde_json::from_str(&json).map_err(|error| evaluation_error(error.to_string()))?;
            findings.extend(package_findings(&package, &document, addresses));
        }
        Ok(findings)
    }
}

fn add_policy(engine: &mut Engine, file: &Path, text: String) -> Result<String, PolicyError> {
    let name = file.display().to_string();
    engine.set_rego_v0(false);
    match engine.add_policy(name.clone(), text.clone()) {
        Ok(package) => Ok(package),
        Err(v1_error) => {
            engine.set_rego_v0(true);
            let added = engine.add_policy(name, text);
            engine.set_rego_v0(false);
            added.map_err(|_| PolicyError::Parse {
                path: file.to_path_buf(),
                message: v1_error.to_string().replace('\n', " "),
            })
        }
    }
}

fn collect_rego_files(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), PolicyError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PolicyError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| PolicyError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_rego_files(&path, files)?;
        } else {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name.ends_with(".rego") && !name.ends_with("_test.rego") {
                files.push(path);
            }
        }
    }
    Ok(())
}

/// Which finding a rule name produces, and its name without the prefix.
fn classify_rule(name: &str) -> Option<(&'static RuleInfo, &str)> {
    for (prefix, info) in [("deny", &DENY), ("violation", &DENY), ("warn", &WARN)] {
        if name == prefix {
            return Some((info, ""));
        }
        if let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('_')) {
            return Some((info, rest));
        }
    }
    None
}

/// The findings of one evaluated package document.
fn package_findings(package: &str, document: &Value, addresses: &HashSet<&str>) -> Vec<Finding> {
    let Some(rules) = document.as_object() else {
        return Vec::new();
    };
    let exceptions: Vec<&str> = rules
        .get("exception")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|entry| match entry {
            Value::Array(names) => names.iter().filter_map(Value::as_str).collect::<Vec<_>>(),
            Value::String(name) => vec![name.as_str()],
            _ => Vec::new(),
        })
        .collect();
    let package_address = package.strip_prefix("data.").unwrap_or(package);
    let mut findings = Vec::new();
    for (name, results) in rules {
        let Some((info, short_name)) = classify_rule(name) else {
            continue;
        };
        if !short_name.is_empty() && exceptions.contains(&short_name) {
            continue;
        }
        let results: Vec<&Value> = match results {
            Value::Array(items) => items.iter().collect(),
            Value::String(_) | Value::Object(_) => vec![results],
            _ => Vec::new(),
        };
        for (index, result) in results.into_iter().enumerate() {
            let (message, address) = match result {
                Value::String(message) => (message.clone(), None),
                Value::Object(fields) => (
                    fields
                        .get("msg")
                        .and_then(Value::as_str)
                        .unwrap_or("(no msg)")
                        .to_string(),
                    fields
                        .get("address")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                ),
                other => (other.to_string(), None),
            };
            // Each result is its own finding (and code-scanning alert): at the
            // resource its message names, else at its place among the rule's results.
            let address = address
                .or_else(|| named_address(&message, addresses))
                .unwrap_or_else(|| format!("policy.{package_address}.{name}[{index}]"));
            findings.push(Finding::new(
                info.id,
                info.default_severity,
                address,
                format!("{package_address}.{name}: {message}"),
            ));
        }
    }
    findings
}

/// The longest plan address `message` names as a word of its own
/// (`hcloud_volume.data is protected` names `hcloud_volume.data`).
fn named_address(message: &str, addresses: &HashSet<&str>) -> Option<String> {
    let is_address_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '"');
    message
        .split(|c: char| !is_address_char(c))
        .map(|word| word.trim_matches(|c| matches!(c, '.' | '"')))
        .filter(|word| addresses.contains(word))
        .max_by_key(|word| word.len())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_classify_like_conftest() {
        assert_eq!(
            classify_rule("deny").map(|(i, n)| (i.id, n)),
            Some(("policy/deny", ""))
        );
        assert_eq!(
            classify_rule("violation_ports").map(|(i, n)| (i.id, n)),
            Some(("policy/deny", "ports"))
        );
        assert_eq!(
            classify_rule("warn_tags").map(|(i, n)| (i.id, n)),
            Some(("policy/warn", "tags"))
        );
        assert!(classify_rule("denylist").is_none());
        assert!(classify_rule("allow").is_none());
    }
}
