//! `plan/drift`: objects changed outside Terraform in ways the plan depends on.

use serde_json::Value;

use super::{path_text, redacted_path_text, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::Action;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/drift",
    default_severity: Severity::Medium,
    summary: "Objects changed outside Terraform, and the plan depends on it",
    help: "`resource_drift` entries filtered by `relevant_attributes`: attributes someone \
           changed outside Terraform that this plan reads or overwrites. Attribute names only; \
           values are never shown. Ignore noisy attributes per type with `[drift.ignore]`.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let plan = context.plan;
    let mut findings = Vec::new();
    for drift in &plan.resource_drift {
        let ignored = context.config.drift_ignore.get(&drift.resource_type);
        let is_ignored = |path: &str| {
            ignored.is_some_and(|names| {
                names.iter().any(|name| {
                    path == name
                        || path
                            .strip_prefix(name.as_str())
                            .is_some_and(|rest| rest.starts_with(['.', '[']))
                })
            })
        };
        let message = if drift.action == Action::Delete || drift.after_is_null() {
            format!("{} was deleted outside Terraform", drift.resource_type)
        } else {
            let relevant: Vec<_> = plan
                .relevant_attributes
                .iter()
                .filter(|relevant| relevant.resource == drift.address)
                .collect();
            if relevant.is_empty() {
                continue;
            }
            let (before, after) = (drift.before(), drift.after());
            let mut paths: Vec<String> = relevant
                .into_iter()
                .filter(|relevant| {
                    value_at(&before, &relevant.attribute) != value_at(&after, &relevant.attribute)
                })
                .filter(|relevant| !is_ignored(&path_text(&relevant.attribute)))
                .map(|relevant| redacted_path_text(&relevant.attribute, context.redactor))
                .collect();
            paths.sort();
            paths.dedup();
            if paths.is_empty() {
                continue;
            }
            format!(
                "{} changed outside Terraform: {}",
                drift.resource_type,
                paths.join(", ")
            )
        };
        let mut finding = Finding::new(
            INFO.id,
            INFO.default_severity,
            drift.address.clone(),
            message,
        );
        finding.module = drift.module_address.clone();
        findings.push(finding);
    }
    findings
}

/// The value at an attribute path (names and indexes), if present.
fn value_at<'v>(value: &'v Value, path: &[Value]) -> Option<&'v Value> {
    path.iter().try_fold(value, |current, step| match step {
        Value::String(name) => current.get(name.as_str()),
        Value::Number(index) => current.get(usize::try_from(index.as_u64()?).ok()?),
        _ => None,
    })
}
