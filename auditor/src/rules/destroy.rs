//! `plan/destroy`: an object is destroyed (replacements are `plan/replace`).

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::Action;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/destroy",
    default_severity: Severity::High,
    summary: "The plan destroys an object",
    help: "A resource is deleted: removed from the configuration, its module removed, its count \
           or for_each key gone, or destroyed on request. Check that losing the object (and its \
           data) is intended; use a `moved` block for renames and `removed` with \
           `lifecycle { destroy = false }` to stop managing an object without destroying it. \
           High when no blast-radius budget limits its destroy; medium when a budget whose \
           scope covers it sets `max_destroy` (or `--budget destroy=N`), since \
           `plan/budget-exceeded` then stops what goes beyond it. A budget that only limits \
           `changes` does not lower it.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .managed()
        .filter(|change| change.action == Action::Delete)
        .map(|change| {
            let what = if change.deposed.is_some() {
                "destroys a deposed object of"
            } else {
                "destroys"
            };
            let reason = change
                .action_reason
                .as_deref()
                .map(|reason| format!(" ({reason})"))
                .unwrap_or_default();
            let mut finding = change_finding(
                &INFO,
                change,
                format!("{what} {}{reason}", change.resource_type),
            );
            if context.budget_governs(&change.address, false) {
                finding.severity = Severity::Medium;
            }
            finding
        })
        .collect()
}
