//! `plan/protected-destroy`: a protected type is destroyed or replaced.

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::Action;

/// Types protected without any configuration: they hold data or addresses
/// that cannot be recreated.
pub const DEFAULT_PROTECTED_TYPES: [&str; 4] = [
    "hcloud_volume",
    "hcloud_network",
    "hcloud_primary_ip",
    "hcloud_floating_ip",
];

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/protected-destroy",
    default_severity: Severity::Critical,
    summary: "The plan destroys or replaces a protected resource type",
    help: "Volumes, networks, primary and floating IPs (plus `protected_types` from budgets in \
           the plan and from `.tfaudit.toml`) hold data or addresses that a re-create does not \
           bring back. Find why the plan destroys it; if it is really intended, waive the \
           finding with a reason and an expiry.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let budgets = context.declared_budgets();
    context
        .managed()
        .filter(|change| change.action.destroys())
        .filter_map(|change| {
            let resource_type: &str = &change.resource_type;
            let source = if DEFAULT_PROTECTED_TYPES.contains(&resource_type) {
                "protected by default".to_string()
            } else if context
                .config
                .protected_types
                .iter()
                .any(|listed| listed == resource_type)
            {
                "protected by the configuration".to_string()
            } else {
                let (address, _) = budgets.iter().find(|(_, spec)| {
                    spec.protects(resource_type) && spec.in_scope(&change.address)
                })?;
                format!("protected by {address}")
            };
            let verb = match change.action {
                Action::Replace(_) => "replaces",
                _ => "destroys",
            };
            Some(change_finding(
                &INFO,
                change,
                format!("{verb} {resource_type}, {source}"),
            ))
        })
        .collect()
}
