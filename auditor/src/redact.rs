//! Sensitive values of a plan, and redacting them from everything printed.
//!
//! Collected from: variables declared `sensitive` in the root module (their
//! values appear in clear in the plan's `variables`), values at
//! `before_sensitive` / `after_sensitive` paths of resource changes and drift,
//! and sensitive outputs. Terraform copies sensitive strings into attributes it
//! does not mark, so redaction works on the strings themselves, wherever they
//! appear: every finding's message and address goes through [`Redactor::redact`].

use crate::findings::Finding;
use crate::plan::model::{collect_all, collect_masked, Plan};

/// What a redacted value is replaced with.
pub const REDACTED: &str = "(sensitive)";

/// Values shorter than this are not redacted: they carry no secret, and
/// replacing them everywhere (`1`, `on`) would garble every message.
pub const MIN_REDACTED_LENGTH: usize = 4;

/// The sensitive strings of one plan.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret containing another is replaced whole.
    secrets: Vec<String>,
}

impl Redactor {
    /// Collects every sensitive value of `plan`.
    pub fn for_plan(plan: &Plan) -> Redactor {
        let mut found = Vec::new();
        for (name, declaration) in &plan.configuration.root_module.variables {
            if declaration.sensitive {
                if let Some(variable) = plan.variables.get(name) {
                    collect_all(&variable.value, &mut found);
                }
            }
        }
        found.extend(plan.sensitive_strings.iter().cloned());
        for change in &plan.resource_changes {
            found.extend(change.sensitive_strings.iter().cloned());
        }
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
        let mut secrets: Vec<String> = values
            .into_iter()
            .filter(|value| value.chars().count() >= MIN_REDACTED_LENGTH)
            .collect();
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        Redactor { secrets }
    }

    /// How many distinct values are redacted.
    pub fn len(&self) -> usize {
        self.secrets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// Whether `text` is exactly one of the sensitive values.
    pub fn is_sensitive(&self, text: &str) -> bool {
        self.secrets.iter().any(|secret| secret == text)
    }

    /// `text` with every sensitive value replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let mut result = text.to_string();
        for secret in &self.secrets {
            if result.contains(secret.as_str()) {
                result = result.replace(secret.as_str(), REDACTED);
            }
        }
        result
    }

    /// Redacts the message, address, module and waiver reason of a finding.
    pub fn redact_finding(&self, finding: &mut Finding) {
        if self.secrets.is_empty() {
            return;
        }
        finding.message = self.redact(&finding.message);
        finding.address = self.redact(&finding.address);
        finding.module = self.redact(&finding.module);
        if let Some(reason) = &finding.waiver_reason {
            finding.waiver_reason = Some(self.redact(reason));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longer_secrets_win_and_short_values_stay() {
        let redactor =
            Redactor::from_values(["hunter2".to_string(), "hunter2-extra".into(), "on".into()]);
        assert_eq!(
            redactor.redact("a hunter2-extra b hunter2 c on"),
            "a (sensitive) b (sensitive) c on"
        );
        assert_eq!(redactor.len(), 2);
    }
}
