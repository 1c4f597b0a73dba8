//! `plan/reduced-coverage`: a plan in an older format (0.1 or 0.2, written by
//! Terraform 0.12 to 1.0) that lacks members some rules read.

use super::{plan_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::parse::is_older_format;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/reduced-coverage",
    default_severity: Severity::Info,
    summary: "The plan's format is older: some checks have less to read",
    help: "Plan formats 0.1 and 0.2 (Terraform 0.12 to 1.0) are read, but they lack \
           `resource_drift` (0.1), `relevant_attributes` and `action_reason` (0.1): drift is \
           then not checked (plan/drift), and destroys and replacements are listed without \
           Terraform's reasons. Plan with Terraform 1.1 or later for full coverage.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let plan = context.plan;
    let Some(version) = plan.format_version.as_deref() else {
        return Vec::new();
    };
    if !is_older_format(version) {
        return Vec::new();
    }
    let mut missing = Vec::new();
    if plan.resource_drift.is_empty() {
        missing.push("`resource_drift` (drift outside Terraform is not checked)");
    }
    if plan.relevant_attributes.is_empty() {
        missing.push("`relevant_attributes` (plan/drift has no attributes to compare)");
    }
    if plan
        .resource_changes
        .iter()
        .all(|change| change.action_reason.is_none())
    {
        missing.push("`action_reason` (destroys and replacements are listed without reasons)");
    }
    if missing.is_empty() {
        return Vec::new();
    }
    let what = format!("no {}", missing.join(", no "));
    vec![plan_finding(
        &INFO,
        format!(
            "plan format {} (Terraform 0.12 to 1.0): {what}",
            version.chars().take(8).collect::<String>()
        ),
    )]
}
