//! `plan/unknown-critical`: an attribute that decides what happens is unknown until apply.

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::Action;

/// Attributes that decide the shape of a resource.
const CRITICAL: [&str; 5] = ["server_type", "image", "location", "network_id", "size"];

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/unknown-critical",
    default_severity: Severity::Medium,
    summary: "A critical attribute is unknown until apply",
    help: "When `server_type`, `image`, `location`, `size` or an id reference (`*_id`) of a \
           changing resource is only known at apply, the plan cannot show what will really \
           happen (and whether it forces a replacement). Make the value known at plan time or \
           apply in two steps.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .managed()
        .filter(|change| {
            matches!(
                change.action,
                Action::Create | Action::Update | Action::Replace(_)
            )
        })
        .filter_map(|change| {
            let existing = change.action != Action::Create;
            let unknown: Vec<&str> = change
                .unknown_attributes
                .iter()
                .map(|name| &**name)
                .filter(|name| {
                    (CRITICAL.contains(name) && (existing || *name != "network_id"))
                        || (existing && (name.ends_with("_id") || name.ends_with("_ids")))
                })
                .collect();
            (!unknown.is_empty()).then(|| {
                change_finding(
                    &INFO,
                    change,
                    format!(
                        "{} unknown until apply: {}",
                        change.resource_type,
                        unknown.join(", ")
                    ),
                )
            })
        })
        .collect()
}
