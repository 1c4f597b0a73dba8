//! `plan/forget`: an object leaves Terraform's state but keeps existing.

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::Action;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/forget",
    default_severity: Severity::Medium,
    summary: "The plan removes an object from state without destroying it",
    help: "A `removed` block with `lifecycle { destroy = false }` (or a replacement that forgets \
           the old object) stops Terraform managing it. The object keeps running and costing; \
           make sure something else owns it now.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .managed()
        .filter_map(|change| {
            let message = match change.action {
                Action::Forget => format!("forgets {}: removed from state, not destroyed", change.resource_type),
                Action::CreateAndForget => format!(
                    "forgets the existing {} (removed from state, not destroyed) and creates a new one",
                    change.resource_type
                ),
                _ => return None,
            };
            Some(change_finding(&INFO, change, message))
        })
        .collect()
}
