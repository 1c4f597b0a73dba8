//! Reading `.tfaudit.toml`: every setting checked, every error naming the
//! file, the field and what was expected.

use std::path::Path;

use chrono::NaiveDate;

use super::{Config, Waiver};
use crate::error::InputError;
use crate::findings::{RuleInfo, Severity};

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

pub(super) struct Fields<'a> {
    pub(super) path: &'a Path,
    /// The rule ids the file may name.
    pub(super) known_rules: &'a [RuleInfo],
}

impl Fields<'_> {
    /// The configuration a parsed file describes.
    pub(super) fn config(&self, table: &toml::Table) -> Result<Config, InputError> {
        for key in table.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                return Err(self.error(
                    &shown(key),
                    format!(
                        "unknown setting; expected one of {}",
                        TOP_LEVEL_KEYS.join(", ")
                    ),
                ));
            }
        }
        let mut config = Config {
            path: Some(self.path.to_path_buf()),
            ..Config::default()
        };
        if let Some(value) = table.get("fail_on") {
            let text = self.string("fail_on", value, "a severity such as \"high\"")?;
            config.fail_on = Some(
                text.parse()
                    .map_err(|expected| self.error("fail_on", expected))?,
            );
        }
        if let Some(value) = table.get("severity") {
            let overrides = self.table("severity", value, "a table of rule id = severity")?;
            for (rule, value) in overrides {
                let field = format!("severity.\"{rule}\"");
                self.known_rule(&field, rule)?;
                let text = self.string(
                    &field,
                    value,
                    "a severity: info, low, medium, high or critical",
                )?;
                let severity = parse_severity(text).ok_or_else(|| {
                    self.error(&field, "expected info, low, medium, high or critical")
                })?;
                config.severity.insert(rule.clone(), severity);
            }
        }
        if let Some(value) = table.get("protected_types") {
            config.protected_types = self.strings("protected_types", value)?;
        }
        if let Some(value) = table.get("protected_environments") {
            config.protected_environments = self.strings("protected_environments", value)?;
        }
        if let Some(value) = table.get("correlated_modules") {
            let count = self.count("correlated_modules", value)?;
            if count < 2 {
                return Err(
                    self.error("correlated_modules", "expected a whole number of 2 or more")
                );
            }
            config.correlated_modules = count as usize;
        }
        if let Some(value) = table.get("budget") {
            let budget = self.table(
                "budget",
                value,
                "a table with destroy, replace and/or changes",
            )?;
            for (name, value) in budget {
                let field = format!("budget.{name}");
                let count = Some(self.count(&field, value)?);
                match name.as_str() {
                    "destroy" => config.budget.destroy = count,
                    "replace" => config.budget.replace = count,
                    "changes" => config.budget.changes = count,
                    _ => {
                        return Err(self.error(
                            &field,
                            "unknown limit; expected destroy, replace or changes",
                        ))
                    }
                }
            }
        }
        if let Some(value) = table.get("drift") {
            let drift = self.table("drift", value, "a table with an `ignore` table")?;
            if let Some(key) = drift.keys().find(|key| key.as_str() != "ignore") {
                return Err(self.error(
                    &format!("drift.{}", shown(key)),
                    "unknown setting; expected drift.ignore",
                ));
            }
            if let Some(ignore) = drift.get("ignore") {
                let ignore = self.table(
                    "drift.ignore",
                    ignore,
                    "a table of resource type = [attribute names]",
                )?;
                for (resource_type, value) in ignore {
                    let field = format!("drift.ignore.{resource_type}");
                    config
                        .drift_ignore
                        .insert(resource_type.clone(), self.strings(&field, value)?);
                }
            }
        }
        if let Some(value) = table.get("waiver") {
            let toml::Value::Array(entries) = value else {
                return Err(self.error("waiver", "expected [[waiver]] tables"));
            };
            for (index, entry) in entries.iter().enumerate() {
                config.waivers.push(self.waiver(index, entry)?);
            }
        }
        Ok(config)
    }

    fn error(&self, field: &str, expected: impl Into<String>) -> InputError {
        InputError::Field {
            file: self.path.to_path_buf(),
            field: field.to_string(),
            expected: expected.into(),
        }
    }

    fn string<'v>(
        &self,
        field: &str,
        value: &'v toml::Value,
        expected: &str,
    ) -> Result<&'v str, InputError> {
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
    ) -> Result<&'v toml::Table, InputError> {
        value.as_table().ok_or_else(|| {
            self.error(
                field,
                format!("expected {expected}, got {}", value.type_str()),
            )
        })
    }

    fn strings(&self, field: &str, value: &toml::Value) -> Result<Vec<String>, InputError> {
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

    fn count(&self, field: &str, value: &toml::Value) -> Result<u64, InputError> {
        value
            .as_integer()
            .and_then(|number| u64::try_from(number).ok())
            .ok_or_else(|| self.error(field, "expected a whole number of zero or more"))
    }

    fn known_rule(&self, field: &str, rule: &str) -> Result<(), InputError> {
        if self.known_rules.iter().any(|info| info.id == rule) {
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

    fn waiver(&self, index: usize, entry: &toml::Value) -> Result<Waiver, InputError> {
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
        let required = |name: &str| -> Result<String, InputError> {
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
                Some(crate::plan::address::Glob::new(pattern))
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

    fn date(&self, field: &str, value: &toml::Value) -> Result<NaiveDate, InputError> {
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
