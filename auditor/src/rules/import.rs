//! `plan/import`: an existing object is imported.

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/import",
    default_severity: Severity::Info,
    summary: "The plan imports an existing object",
    help: "An `import` block brings an object that already exists under Terraform's management. \
           Check that the configuration matches it, or the same plan changes it.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .managed()
        .filter(|change| change.importing.is_some())
        .map(|change| {
            let then = if change.action.changes() {
                " and changes it"
            } else {
                ""
            };
            change_finding(
                &INFO,
                change,
                format!("imports an existing {}{then}", change.resource_type),
            )
        })
        .collect()
}
