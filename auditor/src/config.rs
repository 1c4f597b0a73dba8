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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::findings::{FailOn, Finding, RuleInfo, Severity};

/// The default configuration file, read when present.
pub const DEFAULT_CONFIG_FILE: &str = ".tfaudit.toml";

/// Environments that need a change gate unless configured otherwise.
pub const DEFAULT_PROTECTED_ENVIRONMENTS: [&str; 1] = ["production"];

/// Modules touched by one plan before `plan/correlated-changes` reports it.
pub const DEFAULT_CORRELATED_MODULES: usize = 3;

/// A configuration problem: the file, the field and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: invalid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: field `{field}`: {expected}")]
    Field {
        path: PathBuf,
        field: String,
        expected: String,
    },
}

/// Limits from `[budget]` or `--budget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetLimits {
    pub destroy: Option<u64>,
    pub replace: Option<u64>,
    pub changes: Option<u64>,
}

impl BudgetLimits {
    pub fn is_empty(&self) -> bool {
        self.destroy.is_none() && self.replace.is_none() && self.changes.is_none()
    }

    /// `other`'s limits where set, else these.
    pub fn overridden_by(self, other: BudgetLimits) -> BudgetLimits {
        BudgetLimits {
            destroy: other.destroy.or(self.destroy),
            replace: other.replace.or(self.replace),
            changes: other.changes.or(self.changes),
        }
    }

    /// Parses `destroy=N,replace=N,changes=N` (any subset).
    pub fn parse_flag(text: &str) -> Result<BudgetLimits, String> {
        let mut limits = BudgetLimits::default();
        for part in text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let Some((name, value)) = part.split_once('=') else {
                return Err(format!(
                    "--budget `{part}`: expected NAME=N with NAME one of destroy, replace, changes"
                ));
            };
            let value: u64 = value.trim().parse().map_err(|_| {
                format!("--budget `{part}`: expected a whole number of zero or more")
            })?;
            let slot = match name.trim() {
                "destroy" => &mut limits.destroy,
                "replace" => &mut limits.replace,
                "changes" => &mut limits.changes,
                other => {
                    return Err(format!(
                        "--budget: unknown limit `{other}`; expected destroy, replace or changes"
                    ))
                }
            };
            *slot = Some(value);
        }
        if limits.is_empty() {
            return Err("--budget: expected destroy=N, replace=N and/or changes=N".into());
        }
        Ok(limits)
    }
}

/// One `[[waiver]]`.
#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    /// The address glob as written; `None` waives the rule everywhere.
    pub address: Option<String>,
    pub reason: String,
    pub owner: String,
    /// The last day the waiver applies. Required: a waiver without an end is a
    /// finding hidden for good.
    pub expires: NaiveDate,
    /// Position in the file, for messages (`waiver[0]`).
    pub index: usize,
}

impl Waiver {
    pub fn covers(&self, finding: &Finding) -> bool {
        self.rule == finding.rule_id
            && self
                .address
                .as_deref()
                .is_none_or(|pattern| address_matches(pattern, &finding.address))
    }

    pub fn expired(&self, today: NaiveDate) -> bool {
        self.expires < today
    }
}

/// Whether `address` matches the waiver glob `pattern`: `*` is any run of
/// characters (dots and brackets included), `?` any one character, and every
/// other character stands for itself ([`crate::plan::address::Glob`]).
pub fn address_matches(pattern: &str, address: &str) -> bool {
    crate::plan::address::glob_matches(pattern, address)
}

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
    /// Rule ids in `[severity]` and waivers must be in the catalogue of every
    /// command (`tfaudit rules`) or in `known_rules`, which the caller declares.
    pub fn load(explicit: Option<&Path>, known_rules: &[RuleInfo]) -> Result<Config, ConfigError> {
        let path = explicit
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if explicit.is_none() && error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config::default())
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        Config::parse(&text, &path, known_rules)
    }

    /// Parses configuration text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path, known_rules: &[RuleInfo]) -> Result<Config, ConfigError> {
        let table: toml::Table =
            text.parse()
                .map_err(|error: toml::de::Error| ConfigError::Syntax {
                    path: path.to_path_buf(),
                    message: error.to_string().replace('\n', " "),
                })?;
        let catalogue = crate::commands::rules::all_rules();
        let fields = Fields {
            path,
            known_rules,
            catalogue: &catalogue,
        };
        for key in table.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                return Err(fields.error(
                    &shown(key),
                    format!(
                        "unknown setting; expected one of {}",
                        TOP_LEVEL_KEYS.join(", ")
                    ),
                ));
            }
        }
        let mut config = Config {
            path: Some(path.to_path_buf()),
            ..Config::default()
        };
        if let Some(value) = table.get("fail_on") {
            let text = fields.string("fail_on", value, "a severity such as \"high\"")?;
            config.fail_on = Some(
                text.parse()
                    .map_err(|expected| fields.error("fail_on", expected))?,
            );
        }
        if let Some(value) = table.get("severity") {
            let overrides = fields.table("severity", value, "a table of rule id = severity")?;
            for (rule, value) in overrides {
                let field = format!("severity.\"{rule}\"");
                fields.known_rule(&field, rule)?;
                let text = fields.string(
                    &field,
                    value,
                    "a severity: info, low, medium, high or critical",
                )?;
                let severity = parse_severity(text).ok_or_else(|| {
                    fields.error(&field, "expected info, low, medium, high or critical")
                })?;
                config.severity.insert(rule.clone(), severity);
            }
        }
        if let Some(value) = table.get("protected_types") {
            config.protected_types = fields.strings("protected_types", value)?;
        }
        if let Some(value) = table.get("protected_environments") {
            config.protected_environments = fields.strings("protected_environments", value)?;
        }
        if let Some(value) = table.get("correlated_modules") {
            let count = fields.count("correlated_modules", value)?;
            if count < 2 {
                return Err(
                    fields.error("correlated_modules", "expected a whole number of 2 or more")
                );
            }
            config.correlated_modules = count as usize;
        }
        if let Some(value) = table.get("budget") {
            let budget = fields.table(
                "budget",
                value,
                "a table with destroy, replace and/or changes",
            )?;
            for (name, value) in budget {
                let field = format!("budget.{name}");
                let count = Some(fields.count(&field, value)?);
                match name.as_str() {
                    "destroy" => config.budget.destroy = count,
                    "replace" => config.budget.replace = count,
                    "changes" => config.budget.changes = count,
                    _ => {
                        return Err(fields.error(
                            &field,
                            "unknown limit; expected destroy, replace or changes",
                        ))
                    }
                }
            }
        }
        if let Some(value) = table.get("drift") {
            let drift = fields.table("drift", value, "a table with an `ignore` table")?;
            if let Some(key) = drift.keys().find(|key| key.as_str() != "ignore") {
                return Err(fields.error(
                    &format!("drift.{}", shown(key)),
                    "unknown setting; expected drift.ignore",
                ));
            }
            if let Some(ignore) = drift.get("ignore") {
                let ignore = fields.table(
                    "drift.ignore",
                    ignore,
                    "a table of resource type = [attribute names]",
                )?;
                for (resource_type, value) in ignore {
                    let field = format!("drift.ignore.{resource_type}");
                    config
                        .drift_ignore
                        .insert(resource_type.clone(), fields.strings(&field, value)?);
                }
            }
        }
        if let Some(value) = table.get("waiver") {
            let toml::Value::Array(entries) = value else {
                return Err(fields.error("waiver", "expected [[waiver]] tables"));
            };
            for (index, entry) in entries.iter().enumerate() {
                config.waivers.push(fields.waiver(index, entry)?);
            }
        }
        Ok(config)
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
            let mut finding = Finding::new(
                WAIVER_EXPIRED.id,
                self.severity_of(WAIVER_EXPIRED.id, WAIVER_EXPIRED.default_severity),
                format!("{file}#waiver[{}]", waiver.index),
                format!(
                    "waiver for {} on {} expired on {expires} and no longer applies (reason: {}; owner: {})",
                    waiver.rule,
                    waiver.address.as_deref().unwrap_or("every address"),
                    waiver.reason,
                    if waiver.owner.is_empty() { "none" } else { &waiver.owner },
                ),
            );
            finding.waived = false;
            findings.push(finding);
        }
    }
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

/// The top-level settings of `.tfaudit.toml`.
const TOP_LEVEL_KEYS: [&str; 8] = [
    "fail_on",
    "severity",
    "protected_types",
    "protected_environments",
    "correlated_modules",
    "budget",
    "drift",
    "waiver",
];

/// The settings of one `[[waiver]]`.
const WAIVER_KEYS: [&str; 5] = ["rule", "address", "reason", "owner", "expires"];

/// A key from the file, shortened and escaped for a message.
fn shown(key: &str) -> String {
    key.chars().take(60).flat_map(char::escape_debug).collect()
}

fn parse_severity(text: &str) -> Option<Severity> {
    Severity::ALL
        .into_iter()
        .find(|severity| severity.as_str() == text)
}

struct Fields<'a> {
    path: &'a Path,
    /// Rules the caller declared (policy rules, for one).
    known_rules: &'a [RuleInfo],
    /// Every rule of every command.
    catalogue: &'a [RuleInfo],
}

impl Fields<'_> {
    fn error(&self, field: &str, expected: impl Into<String>) -> ConfigError {
        ConfigError::Field {
            path: self.path.to_path_buf(),
            field: field.to_string(),
            expected: expected.into(),
        }
    }

    fn string<'v>(
        &self,
        field: &str,
        value: &'v toml::Value,
        expected: &str,
    ) -> Result<&'v str, ConfigError> {
        value.as_str().ok_or_else(|| {
            self.error(
                field,
                format!("expected {expected}, got {}", value.type_str()),
            )
        })
    }

    fn table<'v>(
        &self,
        field: &str,
        value: &'v toml::Value,
        expected: &str,
    ) -> Result<&'v toml::Table, ConfigError> {
        value.as_table().ok_or_else(|| {
            self.error(
                field,
                format!("expected {expected}, got {}", value.type_str()),
            )
        })
    }

    fn strings(&self, field: &str, value: &toml::Value) -> Result<Vec<String>, ConfigError> {
        let expected = || {
            self.error(
                field,
                format!("expected a list of strings, got {}", value.type_str()),
            )
        };
        let items = value.as_array().ok_or_else(expected)?;
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().map(str::to_string).ok_or_else(|| {
                    self.error(
                        &format!("{field}[{index}]"),
                        format!("expected a string, got {}", item.type_str()),
                    )
                })
            })
            .collect()
    }

    fn count(&self, field: &str, value: &toml::Value) -> Result<u64, ConfigError> {
        value
            .as_integer()
            .and_then(|number| u64::try_from(number).ok())
            .ok_or_else(|| self.error(field, "expected a whole number of zero or more"))
    }

    fn known_rule(&self, field: &str, rule: &str) -> Result<(), ConfigError> {
        let known = |infos: &[RuleInfo]| infos.iter().any(|info| info.id == rule);
        if known(self.known_rules) || known(self.catalogue) {
            return Ok(());
        }
        Err(self.error(
            field,
            format!(
                "unknown rule id `{}`; expected one such as plan/destroy, state/stale-lock or drift/changed (`tfaudit rules` lists them all)",
                shown(rule)
            ),
        ))
    }

    fn waiver(&self, index: usize, entry: &toml::Value) -> Result<Waiver, ConfigError> {
        let base = format!("waiver[{index}]");
        let table = self.table(&base, entry, "a [[waiver]] table")?;
        if let Some(key) = table
            .keys()
            .find(|key| !WAIVER_KEYS.contains(&key.as_str()))
        {
            return Err(self.error(
                &format!("{base}.{}", shown(key)),
                format!("unknown setting; expected {}", WAIVER_KEYS.join(", ")),
            ));
        }
        let required = |name: &str| -> Result<String, ConfigError> {
            let field = format!("{base}.{name}");
            match table.get(name) {
                Some(value) => Ok(self.string(&field, value, "a string")?.to_string()),
                None => Err(self.error(
                    &field,
                    "missing; every waiver needs rule, reason, owner and expires",
                )),
            }
        };
        let rule = required("rule")?;
        self.known_rule(&format!("{base}.rule"), &rule)?;
        let reason = required("reason")?;
        if reason.trim().is_empty() {
            return Err(self.error(&format!("{base}.reason"), "expected a non-empty reason"));
        }
        let owner = required("owner")?;
        let address = match table.get("address") {
            None => None,
            Some(value) => {
                let field = format!("{base}.address");
                let pattern =
                    self.string(&field, value, "an address glob such as module.nodes.*")?;
                Some(pattern.to_string())
            }
        };
        let field = format!("{base}.expires");
        let expires = match table.get("expires") {
            None => {
                return Err(self.error(
                    &field,
                    "missing; expected the last day the waiver applies, such as 2026-12-31 (a waiver cannot last forever)",
                ))
            }
            Some(value) => self.date(&field, value)?,
        };
        Ok(Waiver {
            rule,
            address,
            reason,
            owner,
            expires,
            index,
        })
    }

    fn date(&self, field: &str, value: &toml::Value) -> Result<NaiveDate, ConfigError> {
        let expected = "expected a date such as 2026-12-31";
        match value {
            toml::Value::Datetime(datetime) => match (datetime.date, datetime.time) {
                (Some(date), None) => {
                    NaiveDate::from_ymd_opt(date.year.into(), date.month.into(), date.day.into())
                        .ok_or_else(|| self.error(field, expected))
                }
                _ => Err(self.error(field, expected)),
            },
            toml::Value::String(text) => {
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| self.error(field, expected))
            }
            _ => Err(self.error(field, format!("{expected}, got {}", value.type_str()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &'static str, address: &str) -> Finding {
        Finding::new(rule, Severity::High, address, "message")
    }

    #[test]
    fn waivers_match_globs_and_exact_addresses_until_they_expire() {
        let text = r#"
[[waiver]]
rule = "plan/destroy"
address = "module.nodes.*"
reason = "pool shrink"
owner = "platform"
expires = 2030-01-01

[[waiver]]
rule = "plan/replace"
address = 'module.zones["b"].hcloud_server.node'
reason = "zone move"
owner = "platform"
expires = 2030-01-01

[[waiver]]
rule = "plan/forget"
reason = "old"
owner = "nobody"
expires = "2020-01-01"
"#;
        let config = Config::parse(text, Path::new("t.toml"), &[]).unwrap();
        let mut findings = vec![
            finding("plan/destroy", "module.nodes.hcloud_server.a[0]"),
            finding("plan/destroy", "hcloud_server.other"),
            finding("plan/replace", r#"module.zones["b"].hcloud_server.node"#),
            finding("plan/forget", "terraform_data.x"),
        ];
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        config.apply(&mut findings, today);
        let waived: Vec<bool> = findings.iter().map(|f| f.waived).collect();
        assert_eq!(waived, vec![true, false, true, false, false]);
        assert_eq!(
            findings[0].waiver_reason.as_deref(),
            Some("pool shrink (owner: platform)")
        );
        assert_eq!(findings[4].rule_id, WAIVER_EXPIRED.id);
        assert_eq!(findings[4].address, "t.toml#waiver[2]");

        let later = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap();
        let mut again = vec![finding("plan/destroy", "module.nodes.hcloud_server.a[0]")];
        config.apply(&mut again, later);
        assert!(!again[0].waived, "an expired waiver stops applying");
    }

    fn parse(text: &str) -> Result<Config, String> {
        Config::parse(text, Path::new("cfg.toml"), &[]).map_err(|error| error.to_string())
    }

    #[test]
    fn brackets_in_address_globs_are_literal() {
        let config = parse(
            r#"
[[waiver]]
rule = "plan/replace"
address = 'module.zones["b"].*'
reason = "zone b moves"
owner = "platform"
expires = 2030-01-01
"#,
        )
        .unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let mut findings = vec![
            finding("plan/replace", r#"module.zones["b"].hcloud_server.node"#),
            // A character class `["b]` would have matched these.
            finding("plan/replace", "module.zonesb.hcloud_server.node"),
            finding("plan/replace", r#"module.zones"].hcloud_server.node"#),
            finding("plan/replace", r#"module.zones["a"].hcloud_server.node"#),
        ];
        config.apply(&mut findings, today);
        let waived: Vec<bool> = findings.iter().map(|f| f.waived).collect();
        assert_eq!(waived, vec![true, false, false, false]);
    }

    #[test]
    fn address_globs() {
        let cases = [
            ("module.nodes.*", "module.nodes.hcloud_server.a[0]", true),
            ("module.nodes.*", "module.nodesx", false),
            ("*.node", r#"module.zones["b"].hcloud_server.node"#, true),
            ("hcloud_server.web[?]", "hcloud_server.web[3]", true),
            ("hcloud_server.web[?]", "hcloud_server.web[12]", false),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("*", "", true),
            ("", "x", false),
        ];
        for (pattern, address, expected) in cases {
            assert_eq!(
                address_matches(pattern, address),
                expected,
                "{pattern} {address}"
            );
        }
    }

    #[test]
    fn state_and_drift_rule_ids_are_accepted_everywhere() {
        let config = parse(
            r#"
[severity]
"state/stale-lock" = "critical"
"drift/changed" = "low"
"plan/moved" = "info"

[[waiver]]
rule = "state/empty"
address = "s3://b/prod/*"
reason = "new environment"
owner = "platform"
expires = 2030-01-01
"#,
        )
        .unwrap();
        assert_eq!(
            config.severity_of("state/stale-lock", Severity::High),
            Severity::Critical
        );
        assert_eq!(
            config.severity_of("drift/changed", Severity::Medium),
            Severity::Low
        );
    }

    #[test]
    fn bad_configuration_names_the_file_and_field() {
        let waiver = |extra: &str| {
            format!("[[waiver]]\nrule = \"plan/destroy\"\nreason = \"r\"\nowner = \"o\"\n{extra}")
        };
        let cases = [
            (waiver(""), "cfg.toml: field `waiver[0].expires`: missing"),
            (
                format!("{}{}", waiver("expires = 2030-01-01\n"), waiver("")),
                "cfg.toml: field `waiver[1].expires`: missing",
            ),
            (
                waiver("expires = 2030-01-01\nexpire = 2031-01-01\n"),
                "cfg.toml: field `waiver[0].expire`: unknown setting",
            ),
            (
                "[severty]\n\"plan/moved\" = \"low\"\n".into(),
                "cfg.toml: field `severty`: unknown setting",
            ),
            (
                "[severity]\n\"state/stale-locks\" = \"low\"\n".into(),
                "cfg.toml: field `severity.\"state/stale-locks\"`: unknown rule id `state/stale-locks`",
            ),
            (
                "[drift]\nignores = {}\n".into(),
                "cfg.toml: field `drift.ignores`: unknown setting",
            ),
        ];
        for (text, expected) in cases {
            let error = parse(&text).expect_err(&text);
            assert!(error.starts_with(expected), "{text}\n{error}");
        }
    }

    #[test]
    fn budget_flags() {
        assert_eq!(
            BudgetLimits::parse_flag("destroy=0, changes=12").unwrap(),
            BudgetLimits {
                destroy: Some(0),
                replace: None,
                changes: Some(12)
            }
        );
        for bad in ["", "destroy", "destroy=-1", "size=3"] {
            assert!(BudgetLimits::parse_flag(bad).is_err(), "{bad}");
        }
    }
}
