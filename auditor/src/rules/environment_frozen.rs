//! `plan/environment-frozen`: an environment of the plan is frozen in the store.

use super::{plan_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/environment-frozen",
    default_severity: Severity::Critical,
    summary: "The plan changes a frozen environment",
    help: "With `--store`, the live lock of each environment the plan names is read. A frozen \
           environment refuses applies at the change gate; wait for the freeze to end or have \
           its owner release it.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    if !context.managed().any(|change| change.action.changes()) {
        return Vec::new();
    }
    if context.freezes.is_empty() {
        return Vec::new();
    }
    let frozen: Vec<String> = context
        .freezes
        .iter()
        .map(|freeze| {
            format!(
                "environment {} is frozen: {}",
                freeze.environment, freeze.detail
            )
        })
        .collect();
    vec![plan_finding(&INFO, frozen.join("; "))]
}
