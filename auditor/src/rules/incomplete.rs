//! `plan/incomplete`: Terraform could not plan everything.

use super::{plan_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/incomplete",
    default_severity: Severity::High,
    summary: "The plan is incomplete, errored, or defers changes",
    help: "A plan with `complete = false`, `errored = true` or deferred changes does not show \
           everything the apply will do. Plan again once the dependencies are known.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let plan = context.plan;
    let mut problems: Vec<String> = Vec::new();
    if plan.errored {
        problems.push("planning failed (errored); the plan cannot be applied as shown".into());
    }
    if plan.complete == Some(false) {
        problems.push(
            "the plan is incomplete: another plan and apply are needed after this one".into(),
        );
    }
    if !plan.deferred_changes.is_empty() {
        let addresses: Vec<&str> = plan
            .deferred_changes
            .iter()
            .filter_map(|deferred| deferred.resource_change.as_ref())
            .map(|resource| resource.address.as_str())
            .take(5)
            .collect();
        let more = plan.deferred_changes.len().saturating_sub(addresses.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        problems.push(format!(
            "{} deferred change(s): {}{more}",
            plan.deferred_changes.len(),
            addresses.join(", ")
        ));
    }
    if problems.is_empty() {
        return Vec::new();
    }
    vec![plan_finding(&INFO, problems.join("; "))]
}
