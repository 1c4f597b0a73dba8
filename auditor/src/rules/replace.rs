//! `plan/replace`: an object is destroyed and created again.

use super::{change_finding, redacted_path_text, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::{Action, ReplaceOrder};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/replace",
    default_severity: Severity::High,
    summary: "The plan replaces an object (destroy and create)",
    help: "An attribute that cannot be updated in place changed, the object is tainted, or a \
           replacement was requested. Destroy-before-create means downtime and a new identity \
           (IP addresses, volume contents); create-before-destroy keeps the old object until \
           the new one exists. The finding names the reason and the attributes forcing it. \
           High when no blast-radius budget limits it; medium when a budget whose scope covers \
           it sets `max_destroy` or `max_replace` (or `--budget destroy=N` / `replace=N`). A \
           budget that only limits `changes` does not lower it.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .managed()
        .filter_map(|change| {
            let Action::Replace(order) = change.action else {
                return None;
            };
            let order = match order {
                ReplaceOrder::DestroyBeforeCreate => "destroy-before-create",
                ReplaceOrder::CreateBeforeDestroy => "create-before-destroy",
            };
            let mut message = format!("replaces {} ({order}", change.resource_type);
            if let Some(reason) = &change.action_reason {
                message.push_str(&format!(", {reason}"));
            }
            message.push(')');
            if !change.replace_paths.is_empty() {
                let paths: Vec<String> = change
                    .replace_paths
                    .iter()
                    .map(|path| redacted_path_text(path, context.redactor))
                    .collect();
                message.push_str(&format!("; forced by {}", paths.join(", ")));
            }
            let mut finding = change_finding(&INFO, change, message);
            if context.budget_governs(&change.address, true) {
                finding.severity = Severity::Medium;
            }
            Some(finding)
        })
        .collect()
}
