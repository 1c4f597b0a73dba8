//! Sensitive values of a plan, and redacting them from everything printed.
//!
//! Collected from: variables declared `sensitive` in the root module (their
//! values appear in clear in the plan's `variables`), values at
//! `before_sensitive` / `after_sensitive` paths of resource changes and drift,
//! sensitive outputs, and the sensitive values of `prior_state` (data sources
//! read during the plan, outputs of the previous run; see [`crate::plan::prior_state`]).
//! A sensitive value gives up every string and number in it, and the member
//! names of every object inside it: the keys of a sensitive map are as secret
//! as its values (see [`crate::plan::mask::collect_masked`]).
//! Terraform copies sensitive strings into attributes it does not mark, so
//! redaction works on the strings themselves, wherever they appear: every
//! finding's message, address, module and waiver reason goes through
//! [`Redactor::redact`].
//!
//! Each value is redacted as it is and in its escaped forms ([`escape`]): JSON
//! (`\"`, `\\`, `\u003c`) and HCL as Terraform quotes instance keys in
//! addresses (`["pa\"ss"]`, `$${`).
//!
//! Values of at least [`MIN_REDACTED_LENGTH`] characters are replaced wherever
//! they occur. Shorter ones (`987`, `on`) are replaced only where they stand as
//! a whole value: a whole field (a message that is nothing but the value, an
//! address, a module), or a quoted string inside it (`"987"`, `` `987` ``,
//! `'987'`, and so the instance key `["987"]`). Replacing them inside words and
//! numbers would garble every message (`1 objects`) and reveal nothing.
//!
//! May import: `findings`, `plan`; nothing above.

pub mod escape;

use crate::findings::Finding;
use crate::plan::configuration::ConfigModule;
use crate::plan::mask::{collect_all, collect_masked};
use crate::plan::Plan;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "(sensitive)";

/// Values shorter than this are redacted only where they stand as a whole value.
pub const MIN_REDACTED_LENGTH: usize = 4;

/// Quotes around a whole value inside a longer text.
const QUOTES: [(&str, &str); 4] = [("\"", "\""), ("\\\"", "\\\""), ("`", "`"), ("'", "'")];

/// The sensitive strings of one plan.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Values (and their escaped forms) of at least [`MIN_REDACTED_LENGTH`]
    /// characters, longest first so a secret containing another is replaced whole.
    secrets: Vec<String>,
    /// Shorter values and their escaped forms, longest first.
    short: Vec<String>,
    /// How many distinct values were given.
    values: usize,
}

impl Redactor {
    /// Collects every sensitive value of `plan` (the masked values of resource
    /// changes and of `prior_state` come in through [`Plan::sensitive_strings`],
    /// where the plan reader puts them).
    pub fn for_plan(plan: &Plan) -> Redactor {
        let mut found = sensitive_variable_values(plan);
        found.extend(plan.sensitive_strings.iter().cloned());
        for drift in &plan.resource_drift {
            found.extend(drift.sensitive_strings.iter().cloned());
        }
        for output in plan.output_changes.values() {
            collect_masked(&output.after, &output.after_sensitive, &mut found);
            collect_masked(&output.before, &output.before_sensitive, &mut found);
        }
        Redactor::from_values(found)
    }

    /// A redactor for the given values.
    pub fn from_values(values: impl IntoIterator<Item = String>) -> Redactor {
        let mut raw: Vec<String> = values.into_iter().filter(|v| !v.is_empty()).collect();
        raw.sort();
        raw.dedup();
        let mut secrets = Vec::new();
        let mut short = Vec::new();
        for value in &raw {
            let target = if value.chars().count() >= MIN_REDACTED_LENGTH {
                &mut secrets
            } else {
                &mut short
            };
            target.extend(escape::escaped_forms(value));
            target.push(value.clone());
        }
        for list in [&mut secrets, &mut short] {
            list.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
            list.dedup();
        }
        Redactor {
            secrets,
            short,
            values: raw.len(),
        }
    }

    /// How many distinct values are redacted.
    pub fn len(&self) -> usize {
        self.values
    }

    pub fn is_empty(&self) -> bool {
        self.values == 0
    }

    /// Whether `text` is exactly one of the sensitive values (or an escaped form).
    pub fn is_sensitive(&self, text: &str) -> bool {
        self.secrets.iter().chain(&self.short).any(|s| s == text)
    }

    /// `text` with every sensitive value replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        if self.short.iter().any(|value| value == text) {
            return REDACTED.to_string();
        }
        let mut result = text.to_string();
        for secret in &self.secrets {
            if result.contains(secret.as_str()) {
                result = result.replace(secret.as_str(), REDACTED);
            }
        }
        for value in &self.short {
            if !result.contains(value.as_str()) {
                continue;
            }
            for (open, close) in QUOTES {
                let quoted = format!("{open}{value}{close}");
                if result.contains(&quoted) {
                    result = result.replace(&quoted, &format!("{open}{REDACTED}{close}"));
                }
            }
        }
        result
    }

    /// Redacts the message, address, module and waiver reason of a finding.
    pub fn redact_finding(&self, finding: &mut Finding) {
        if self.is_empty() {
            return;
        }
        finding.message = self.redact(&finding.message);
        finding.address = self.redact(&finding.address);
        finding.module = self.redact(&finding.module);
        if let Some(reason) = &finding.waiver_reason {
            finding.waiver_reason = Some(self.redact(reason));
        }
        if let Some(metadata) = &mut finding.metadata {
            for value in metadata.values_mut() {
                self.redact_value(value);
            }
        }
    }

    /// Redacts every string (and object key) inside `value`.
    fn redact_value(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => *text = self.redact(text),
            serde_json::Value::Array(items) => {
                for item in items {
                    self.redact_value(item);
                }
            }
            serde_json::Value::Object(fields) => {
                let redacted = std::mem::take(fields)
                    .into_iter()
                    .map(|(key, mut item)| {
                        self.redact_value(&mut item);
                        (self.redact(&key), item)
                    })
                    .collect();
                *fields = redacted;
            }
            _ => {}
        }
    }
}

/// The values of variables declared `sensitive`: those of the root module
/// (in the plan's `variables`), and in every module their declared defaults
/// and the constants a module call passes to them.
pub fn sensitive_variable_values(plan: &Plan) -> Vec<String> {
    let mut found = Vec::new();
    for (name, declaration) in &plan.configuration.root_module.variables {
        if declaration.sensitive {
            if let Some(variable) = plan.variables.get(name) {
                collect_all(&variable.value, &mut found);
            }
        }
    }
    sensitive_configured_values(&plan.configuration.root_module, &mut found);
    found
}

fn sensitive_configured_values(module: &ConfigModule, found: &mut Vec<String>) {
    let sensitive = module
        .variables
        .values()
        .filter(|declaration| declaration.sensitive);
    for default in sensitive.filter_map(|declaration| declaration.default.as_ref()) {
        collect_all(default, found);
    }
    for call in module.module_calls.values() {
        for (name, declaration) in &call.module.variables {
            let passed = call
                .expressions
                .get(name)
                .and_then(|expression| expression.get("constant_value"));
            if let Some(constant) = passed.filter(|_| declaration.sensitive) {
                collect_all(constant, found);
            }
        }
        sensitive_configured_values(&call.module, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_secrets_win_and_short_values_go_only_where_they_stand_whole() {
        let redactor =
            Redactor::from_values(["hunter2".to_string(), "hunter2-extra".into(), "on".into()]);
        assert_eq!(
            redactor.redact("a hunter2-extra b hunter2 c on"),
            "a (sensitive) b (sensitive) c on"
        );
        assert_eq!(redactor.redact("on"), "(sensitive)");
        assert_eq!(
            redactor.redact(r#"x["on"] is `on`"#),
            r#"x["(sensitive)"] is `(sensitive)`"#
        );
        assert_eq!(redactor.len(), 3);
    }

    #[test]
    fn sensitive_defaults_and_constants_passed_to_modules_are_redacted() {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "variables": {"root_token": {"value": "root-secret"}, "open": {"value": "visible"}},
            "configuration": {"root_module": {
                "variables": {"root_token": {"sensitive": true}, "open": {"default": "visible"}},
                "module_calls": {"db": {
                    "expressions": {"password": {"constant_value": "passed-secret"}, "name": {"constant_value": "db-name"}},
                    "module": {
                        "variables": {
                            "password": {"sensitive": true},
                            "name": {},
                            "pin": {"sensitive": true, "default": 4711}
                        },
                        "module_calls": {"inner": {"module": {"variables": {"key": {"sensitive": true, "default": {"k": "nested-secret"}}}}}}
                    }
                }}
            }}
        }))
        .unwrap();
        let redactor = Redactor::for_plan(&plan);
        // The key `k` of the sensitive map default is as secret as its value.
        for secret in ["root-secret", "passed-secret", "4711", "nested-secret", "k"] {
            assert!(redactor.is_sensitive(secret), "{secret}");
        }
        for open in ["visible", "db-name"] {
            assert!(!redactor.is_sensitive(open), "{open}");
        }
        assert_eq!(redactor.len(), 5);
    }

    #[test]
    fn keys_of_sensitive_maps_are_redacted_short_ones_where_they_stand_whole() {
        let plan: Plan = serde_json::from_value(serde_json::json!({
            "variables": {"creds": {"value": {"var-key-Zz8": {"k9": "v"}}}},
            "configuration": {"root_module": {"variables": {"creds": {"sensitive": true}}}},
            "output_changes": {"out": {
                "actions": ["update"],
                "before": {"old-out-key": 1}, "after": {"out-key-Yy7": "w", "open": "o"},
                "before_sensitive": true, "after_sensitive": {"out-key-Yy7": true}
            }}
        }))
        .unwrap();
        let redactor = Redactor::for_plan(&plan);
        for secret in ["var-key-Zz8", "k9", "v", "old-out-key", "1", "w"] {
            assert!(redactor.is_sensitive(secret), "{secret}");
        }
        // The name of a sensitive member of a visible object is no secret.
        for open in ["out-key-Yy7", "open", "o"] {
            assert!(!redactor.is_sensitive(open), "{open}");
        }
        assert_eq!(
            redactor.redact(r#"t.n["var-key-Zz8"] t.n["k9"] k9"#),
            r#"t.n["(sensitive)"] t.n["(sensitive)"] k9"#
        );
    }

    #[test]
    fn escaped_forms_are_redacted() {
        let redactor = Redactor::from_values(["pa\"ss\\word".to_string(), "a\"b".into()]);
        assert_eq!(
            redactor.redact(r#"t.n["pa\"ss\\word"] and {"v":"pa\"ss\\word"} and t.m["a\"b"]"#),
            r#"t.n["(sensitive)"] and {"v":"(sensitive)"} and t.m["(sensitive)"]"#
        );
    }
}
