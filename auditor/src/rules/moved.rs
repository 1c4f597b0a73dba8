//! `plan/moved`: an object changes address.

use super::{change_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/moved",
    default_severity: Severity::Info,
    summary: "The plan moves an object to a new address",
    help: "A `moved` block (or a module refactoring) gives an object a new address without \
           destroying it. Only state changes.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .managed()
        .filter_map(|change| {
            let previous = change.previous_address.as_deref()?;
            (previous != &*change.address)
                .then(|| change_finding(&INFO, change, format!("moved from {previous}")))
        })
        .collect()
}
