//! `--policy DIR`: Rego policies (evaluated with regorus), conftest-compatible.
//!
//! Every `.rego` file under DIR (recursively, `*_test.rego` excluded) is
//! loaded; Rego v1 syntax first, v0 (`deny[msg] { ... }`) when v1 does not
//! parse. The input document is the plan JSON, as with
//! `conftest test plan.json`, and `--data PATH` documents are merged under
//! `data.` as conftest merges them (see [`data`]).
//!
//! As in conftest, the packages evaluated are `main` unless `--namespace NS`
//! (repeatable; `*`, `?` and `[...]` are globs, `*` crossing dots) names
//! others, or `--all-namespaces` takes every package loaded. In each:
//!
//! * `deny`, `violation`, and rules named `deny_*` / `violation_*` give
//!   `policy/deny` findings (high); `warn` and `warn_*` give `policy/warn`
//!   findings (medium). A name matches as conftest's
//!   `^(deny|violation|warn)(_[a-zA-Z0-9]+)*$` does;
//! * a rule some `exception` entry names (its name without the `deny_`,
//!   `violation_` or `warn_` prefix; `""` for the bare `deny`, `violation`
//!   and `warn`) is excepted, as conftest's `exception[_][_] == NAME`: its
//!   results become waived findings, reported but never failing the run.
//!
//! A result is a message string, or an object with a string `msg`; the
//! object's other members (but `_loc`) are the finding's `metadata`, with
//! `query` (`data.PACKAGE.RULE`) added as conftest adds it. An object without
//! a string `msg` stops the run (exit 2), as in conftest; an empty message is
//! a pass. A set rule written `deny[msg] if` (no `contains`) is an object,
//! which conftest refuses too. A result with `address` points at it; else at
//! the plan resource its message names (the longest one), else at
//! `policy.PACKAGE.RULE[N]`, its place among the rule's results: every result
//! is a finding of its own, with its own code-scanning fingerprint. Messages
//! and metadata go through the plan's redactor like every other finding.
//!
//! The engine is regorus with OPA's built-in functions (`regex`, `glob`,
//! `time`, `net`, `base64`, `semver`, `yaml`, `json.match_schema`, ...), as
//! conftest policies expect; only regorus' own allocator is left out, so that
//! tfaudit keeps the system one.
//!
//! May import: `findings`, `error`; nothing above.

pub mod data;
mod namespace;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regorus::Engine;
use serde_json::{Map, Value};

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

/// The namespace conftest evaluates when none is given.
pub const DEFAULT_NAMESPACE: &str = "main";

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
    #[error("--data {path}:{line}:{column}: invalid {format}: {message}")]
    DataSyntax {
        path: PathBuf,
        line: usize,
        column: usize,
        format: &'static str,
        message: String,
    },
    #[error("--data {path}: {message}")]
    Data { path: PathBuf, message: String },
    #[error("--namespace `{pattern}`: {message}")]
    Namespace { pattern: String, message: String },
    #[error("policy evaluation failed in {package}: {message}")]
    Evaluate { package: String, message: String },
    #[error("policy package {package}, rule `{rule}`: {message}")]
    Result {
        package: String,
        rule: String,
        message: String,
    },
}

/// Which packages to evaluate, and the data documents (conftest's
/// `--namespace`, `--all-namespaces` and `--data`).
#[derive(Debug, Clone, Default)]
pub struct PolicyOptions {
    /// Package names or globs; empty means [`DEFAULT_NAMESPACE`].
    pub namespaces: Vec<String>,
    /// Every package loaded, whatever `namespaces` says.
    pub all_namespaces: bool,
    /// `--data` files and folders.
    pub data: Vec<PathBuf>,
}

/// Loaded policies, ready to evaluate.
pub struct Policies {
    engine: Engine,
    /// The packages evaluated, without `data.`.
    packages: Vec<String>,
    /// Namespaces asked for by name that no policy declares.
    missing: Vec<String>,
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
    /// Loads every policy under `dir`, with conftest's default options.
    pub fn load(dir: &Path) -> Result<Policies, PolicyError> {
        Policies::load_with(dir, &PolicyOptions::default())
    }

    /// Loads every policy under `dir` and the `--data` documents, and picks
    /// the packages to evaluate.
    pub fn load_with(dir: &Path, options: &PolicyOptions) -> Result<Policies, PolicyError> {
        let mut files = Vec::new();
        collect_rego_files(dir, &mut files)?;
        files.sort();
        if files.is_empty() {
            return Err(PolicyError::Empty {
                path: dir.to_path_buf(),
            });
        }
        let mut engine = Engine::new();
        let mut declared = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).map_err(|source| PolicyError::Read {
                path: file.clone(),
                source,
            })?;
            let package = add_policy(&mut engine, file, text)?;
            declared.push(
                package
                    .strip_prefix("data.")
                    .unwrap_or(&package)
                    .to_string(),
            );
        }
        declared.sort();
        declared.dedup();
        let documents = data::load(&options.data)?;
        check_rule_paths(&declared, &documents)?;
        if !documents.merged.is_empty() {
            let text = Value::Object(documents.merged).to_string();
            let value =
                regorus::Value::from_json_str(&text).map_err(|error| PolicyError::Evaluate {
                    package: "data".into(),
                    message: error.to_string(),
                })?;
            engine
                .add_data(value)
                .map_err(|error| PolicyError::Evaluate {
                    package: "data".into(),
                    message: error.to_string(),
                })?;
        }
        let (packages, missing) = namespace::select_namespaces(&declared, options)?;
        Ok(Policies {
            engine,
            packages,
            missing,
            files: files.len(),
        })
    }

    /// How many policy files were loaded.
    pub fn file_count(&self) -> usize {
        self.files
    }

    /// The packages evaluated (without `data.`).
    pub fn packages(&self) -> &[String] {
        &self.packages
    }

    /// Namespaces asked for by name (or the default `main`) that no policy declares.
    pub fn missing_namespaces(&self) -> &[String] {
        &self.missing
    }

    /// Evaluates the selected packages against the plan JSON; `addresses` are
    /// the plan's resource addresses, which results that name one point at.
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
                .eval_query(format!("data.{package}"), false)
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
            findings.extend(package_findings(&package, &document, addresses)?);
        }
        Ok(findings)
    }
}

/// Refuses data that sets a package's path to something else than an
/// object, or sets a rule tfaudit reads (`deny*`, `violation*`, `warn*`,
/// `exception`) inside a package: OPA refuses data and rules at one path too.
fn check_rule_paths(declared: &[String], documents: &data::Documents) -> Result<(), PolicyError> {
    for package in declared {
        let path: Vec<String> = package.split('.').map(str::to_string).collect();
        let mut value = &documents.merged;
        for (depth, key) in path.iter().enumerate() {
            match value.get(key) {
                None => break,
                Some(Value::Object(inner)) => value = inner,
                Some(_) => {
                    let at = &path[..=depth];
                    return Err(conflict(documents, at, package));
                }
            }
            if depth + 1 == path.len() {
                if let Some(rule) = value
                    .keys()
                    .find(|key| key.as_str() == "exception" || classify_rule(key).is_some())
                {
                    let mut at = path.clone();
                    at.push(rule.clone());
                    return Err(conflict(documents, &at, package));
                }
            }
        }
    }
    Ok(())
}

fn conflict(documents: &data::Documents, at: &[String], package: &str) -> PolicyError {
    PolicyError::Data {
        path: documents
            .file_setting(at)
            .map(Path::to_path_buf)
            .unwrap_or_default(),
        message: format!(
            "sets `data.{}`, which belongs to policy package {package} (data must not overlap \
             the policies' rules)",
            at.join(".")
        ),
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

/// Which finding a rule name produces, and the name an `exception` gives it
/// (without the prefix; empty for the bare `deny`, `violation`, `warn`).
/// Names match as conftest's `^(deny|violation|warn)(_[a-zA-Z0-9]+)*$`.
fn classify_rule(name: &str) -> Option<(&'static RuleInfo, &str)> {
    for (prefix, info) in [("deny", &DENY), ("violation", &DENY), ("warn", &WARN)] {
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        if rest.is_empty() {
            return Some((info, ""));
        }
        let Some(words) = rest.strip_prefix('_') else {
            continue;
        };
        let well_formed = words
            .split('_')
            .all(|word| !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric()));
        if well_formed {
            return Some((info, words));
        }
    }
    None
}

/// The names `exception` lists, as conftest's `exception[_][_]` sees them:
/// the strings inside each of its collections.
fn exception_names(rules: &Map<String, Value>) -> Vec<&str> {
    fn members(value: &Value) -> Vec<&Value> {
        match value {
            Value::Array(items) => items.iter().collect(),
            Value::Object(fields) => fields.values().collect(),
            _ => Vec::new(),
        }
    }
    rules
        .get("exception")
        .map(members)
        .unwrap_or_default()
        .into_iter()
        .flat_map(members)
        .filter_map(Value::as_str)
        .collect()
}

/// The findings of one evaluated package document.
fn package_findings(
    package: &str,
    document: &Value,
    addresses: &HashSet<&str>,
) -> Result<Vec<Finding>, PolicyError> {
    let Some(rules) = document.as_object() else {
        return Ok(Vec::new());
    };
    let exceptions = exception_names(rules);
    let mut findings = Vec::new();
    for (name, results) in rules {
        let Some((info, short_name)) = classify_rule(name) else {
            continue;
        };
        let result_error = |message: String| PolicyError::Result {
            package: package.to_string(),
            rule: name.clone(),
            message,
        };
        let excepted = exceptions.contains(&short_name);
        let results: &[Value] = match results {
            Value::Array(items) => items,
            Value::Object(fields) if !fields.is_empty() && fields.values().all(|v| *v == true) => {
                return Err(result_error(format!(
                    "is an object of `true` values (`{name}[msg] if` without `contains`), not a \
                     set of messages: write `{name} contains msg if`, as conftest requires"
                )))
            }
            _ => &[],
        };
        let query = format!("data.{package}.{name}");
        for (index, result) in results.iter().enumerate() {
            let (message, mut metadata) = match result {
                Value::String(message) => (message.clone(), Map::new()),
                Value::Object(fields) => {
                    let Some(message) = fields.get("msg").and_then(Value::as_str) else {
                        return Err(result_error(format!(
                            "result {index} has no string `msg` member (expected a string, or an \
                             object with a string `msg`)"
                        )));
                    };
                    let metadata: Map<String, Value> = fields
                        .iter()
                        .filter(|(key, _)| !matches!(key.as_str(), "msg" | "_loc"))
                        .map(|(key, value)| (key.clone(), value.clone()))
                        .collect();
                    (message.to_string(), metadata)
                }
                // conftest ignores results of other types.
                _ => continue,
            };
            if message.is_empty() {
                // An empty message is a pass in conftest.
                continue;
            }
            // Each result is its own finding (and code-scanning alert): at the
            // address it gives, else at the resource its message names, else at
            // its place among the rule's results.
            let address = metadata
                .get("address")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| named_address(&message, addresses))
                .unwrap_or_else(|| format!("policy.{package}.{name}[{index}]"));
            metadata.insert("query".into(), Value::String(query.clone()));
            let mut finding = Finding::new(
                info.id,
                info.default_severity,
                address,
                format!("{package}.{name}: {message}"),
            );
            finding.metadata = Some(metadata);
            if excepted {
                finding.waived = true;
                let excepted_name = if short_name.is_empty() {
                    "\"\"".to_string()
                } else {
                    format!("`{short_name}`")
                };
                finding.waiver_reason = Some(format!(
                    "exception {excepted_name} in policy package {package}"
                ));
            }
            findings.push(finding);
        }
    }
    Ok(findings)
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
        assert_eq!(
            classify_rule("deny_s3_public").map(|(i, n)| (i.id, n)),
            Some(("policy/deny", "s3_public"))
        );
        assert!(classify_rule("denylist").is_none());
        assert!(classify_rule("deny_").is_none());
        assert!(classify_rule("deny__x").is_none());
        assert!(classify_rule("allow").is_none());
    }
}
