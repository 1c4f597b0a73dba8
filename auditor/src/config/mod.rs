//! `.tfaudit.toml`: thresholds, severity overrides, protected types and
//! environments, budgets, drift ignores and waivers. One file serves every
//! command: `tfaudit plan`, `tfaudit state` and `tfaudit drift` all read it, and
//! `[severity]` and `[[waiver]]` accept the id of any rule `tfaudit rules` lists.
//!
//! ```toml
//! fail_on = "high"
//! protected_types = ["hcloud_server"]
//! protected_environments = ["production"]
//! correlated_modules = 3
//!
//! [severity]
//! "plan/moved" = "low"
//!
//! [budget]
//! destroy = 0
//! replace = 1
//! changes = 50
//!
//! [drift.ignore]
//! hcloud_server = ["labels"]
//!
//! [[waiver]]
//! rule = "plan/replace"
//! address = "module.nodes.*"
//! reason = "node pool rotation"
//! owner = "platform-team"
//! expires = 2026-12-31
//! ```
//!
//! A key no command knows, a rule id no command has, or a known key with a wrong
//! value is an error naming the file, the field and what was expected.
//!
//! Waiver addresses are globs in which `*` matches any run of characters and `?`
//! any one character; everything else, brackets and quotes included, is literal,
//! so `module.zones["b"].*` means what it says.
//!
//! May import: `findings`, `error`, `registry` (the rule catalogue is handed in), `plan` (address globs); nothing above.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::error::InputError;
use crate::findings::{FailOn, Finding, RuleInfo, Severity};

mod budget;
mod fields;
mod waiver;

pub use budget::BudgetLimits;
pub use waiver::Waiver;

use fields::Fields;

/// The default configuration file, read when present.
pub const DEFAULT_CONFIG_FILE: &str = ".tfaudit.toml";

/// Environments that need a change gate unless configured otherwise.
pub const DEFAULT_PROTECTED_ENVIRONMENTS: [&str; 1] = ["production"];

/// Modules touched by one plan before `plan/correlated-changes` reports it.
pub const DEFAULT_CORRELATED_MODULES: usize = 3;

/// The configuration every command reads.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file read, if any.
    pub path: Option<PathBuf>,
    pub fail_on: Option<FailOn>,
    pub severity: BTreeMap<String, Severity>,
    pub protected_types: Vec<String>,
    pub protected_environments: Vec<String>,
    pub correlated_modules: usize,
    pub budget: BudgetLimits,
    /// Attribute names (top-level or dotted paths) ignored in drift, per resource type.
    pub drift_ignore: BTreeMap<String, Vec<String>>,
    pub waivers: Vec<Waiver>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            path: None,
            fail_on: None,
            severity: BTreeMap::new(),
            protected_types: Vec::new(),
            protected_environments: DEFAULT_PROTECTED_ENVIRONMENTS
                .iter()
                .map(|name| name.to_string())
                .collect(),
            correlated_modules: DEFAULT_CORRELATED_MODULES,
            budget: BudgetLimits::default(),
            drift_ignore: BTreeMap::new(),
            waivers: Vec::new(),
        }
    }
}

impl Config {
    /// Loads `explicit`, or `.tfaudit.toml` when it exists, or the defaults.
    /// Rule ids in `[severity]` and waivers must be in `known_rules`: the
    /// catalogue of every command (`tfaudit rules`) and any rules the caller
    /// adds (policy rules, for one).
    pub fn load(explicit: Option<&Path>, known_rules: &[RuleInfo]) -> Result<Config, InputError> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => match std::env::current_dir().ok().and_then(|dir| discover(&dir)) {
                Some(path) => path,
                None => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| InputError::Read {
            file: path.clone(),
            source,
        })?;
        Config::parse(&text, &path, known_rules)
    }

    /// Parses configuration text; `path` names the file in errors and
    /// `known_rules` are the rule ids `[severity]` and waivers may name.
    pub fn parse(text: &str, path: &Path, known_rules: &[RuleInfo]) -> Result<Config, InputError> {
        let table: toml::Table =
            text.parse()
                .map_err(|error: toml::de::Error| InputError::Invalid {
                    file: path.to_path_buf(),
                    problem: format!("invalid TOML: {}", error.to_string().replace('\n', " ")),
                })?;
        Fields { path, known_rules }.config(&table)
    }

    /// The severity of `rule` after `[severity]` overrides.
    pub fn severity_of(&self, rule: &str, default: Severity) -> Severity {
        self.severity.get(rule).copied().unwrap_or(default)
    }

    /// Whether `environment` requires a change gate.
    pub fn protects_environment(&self, environment: &str) -> bool {
        self.protected_environments
            .iter()
            .any(|name| name == environment)
    }

    /// Applies severity overrides and waivers to `findings` (in place), and
    /// appends a `config/waiver-expired` finding for every expired waiver.
    pub fn apply(&self, findings: &mut Vec<Finding>, today: NaiveDate) {
        for finding in findings.iter_mut() {
            finding.severity = self.severity_of(finding.rule_id, finding.severity);
            if let Some(waiver) = self
                .waivers
                .iter()
                .find(|waiver| !waiver.expired(today) && waiver.covers(finding))
            {
                finding.waived = true;
                let owner = if waiver.owner.is_empty() {
                    String::new()
                } else {
                    format!(" (owner: {})", waiver.owner)
                };
                finding.waiver_reason = Some(format!("{}{owner}", waiver.reason));
            }
        }
        for waiver in self.waivers.iter().filter(|waiver| waiver.expired(today)) {
            let expires = waiver.expires;
            let file = self
                .path
                .as_ref()
                .map(|path| path.display().to_string())
                .unwrap_or_else(|| DEFAULT_CONFIG_FILE.into());
            let finding = Finding::new(
                WAIVER_EXPIRED.id,
                self.severity_of(WAIVER_EXPIRED.id, WAIVER_EXPIRED.default_severity),
                format!("{file}#waiver[{}]", waiver.index),
                format!(
                    "waiver for {} on {} expired on {expires} and no longer applies (reason: {}; owner: {})",
                    waiver.rule,
                    waiver.address.as_ref().map_or("every address", |glob| glob.as_str()),
                    waiver.reason,
                    if waiver.owner.is_empty() { "none" } else { &waiver.owner },
                ),
            );
            findings.push(finding);
        }
    }
}

/// The `.tfaudit.toml` that applies in `start`: the first found in `start` or
/// a folder above it, up to and including the repository root (the first
/// folder with a `.git`); `None` when there is none. The path is relative to
/// `start` (`.tfaudit.toml`, `../../.tfaudit.toml`), as people would type it
/// there.
pub fn discover(start: &Path) -> Option<PathBuf> {
    for (depth, folder) in start.ancestors().enumerate() {
        if folder.join(DEFAULT_CONFIG_FILE).is_file() {
            let mut relative: PathBuf = std::iter::repeat_n("..", depth).collect();
            relative.push(DEFAULT_CONFIG_FILE);
            return Some(relative);
        }
        if folder.join(".git").exists() {
            return None;
        }
    }
    None
}

/// `config/waiver-expired`.
pub const WAIVER_EXPIRED: RuleInfo = RuleInfo {
    id: "config/waiver-expired",
    default_severity: Severity::Medium,
    summary: "A waiver in the configuration has expired",
    help:
        "Waivers carry an `expires` date. After it the waiver stops applying and the findings \
           it covered count again. Renew the waiver with a new date and reason, or fix the finding.",
};

#[cfg(test)]
mod tests;
