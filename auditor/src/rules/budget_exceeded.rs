//! `plan/budget-exceeded`: the plan goes beyond a blast-radius budget.

use guardrail_core::budget::{BudgetSpec, BudgetViolation};

use super::{change_finding, plan_finding, PlanContext, BUDGET_TYPE};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::summary::budget_counts;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/budget-exceeded",
    default_severity: Severity::Critical,
    summary: "The plan exceeds a blast-radius budget",
    help: "Every `guardrail_blast_radius_budget` in the plan, `--budget` and the `[budget]` \
           table of `.tfaudit.toml` limit how many objects one change may destroy (deletes and \
           replacements), replace, or change (creates, updates, deletes, replacements, forgets). \
           Split the change, or raise the budget in a reviewed change of its own.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let changes = &context.plan.resource_changes;
    let mut findings = Vec::new();
    for &(address, ref spec) in context.declared_budgets() {
        let counts = budget_counts(changes.iter().filter(|c| c.is_managed()), |resource| {
            spec.in_scope(resource)
        });
        let violations = spec.check(&counts);
        if violations.is_empty() {
            continue;
        }
        let scope = if spec.scope.is_empty() {
            "the whole configuration".to_string()
        } else {
            spec.scope.join(", ")
        };
        let message = format!("{} (scope: {scope})", describe(&violations));
        if let Some(change) = context
            .of_type(BUDGET_TYPE)
            .find(|change| &*change.address == address)
        {
            findings.push(change_finding(&INFO, change, message));
        }
    }
    if !context.budget.is_empty() {
        let limit = |value: Option<u64>| value.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let spec = BudgetSpec {
            max_destroy: limit(context.budget.destroy),
            max_replace: limit(context.budget.replace),
            max_changes: limit(context.budget.changes),
            ..BudgetSpec::default()
        };
        let counts = budget_counts(changes.iter().filter(|c| c.is_managed()), |_| true);
        let violations = spec.check(&counts);
        if !violations.is_empty() {
            findings.push(plan_finding(
                &INFO,
                format!(
                    "{} (budget from --budget or the configuration)",
                    describe(&violations)
                ),
            ));
        }
    }
    findings
}

fn describe(violations: &[BudgetViolation]) -> String {
    let parts: Vec<String> = violations
        .iter()
        .map(|violation| {
            let what = match violation.limit {
                "max_destroy" => "destroys",
                "max_replace" => "replaces",
                _ => "changes",
            };
            format!(
                "{what} {} objects, {} allows {}",
                violation.actual, violation.limit, violation.allowed
            )
        })
        .collect();
    parts.join("; ")
}
