//! `state/tainted`: resource instances marked tainted.

use super::super::address_in;
use super::super::source::LoadedState;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/tainted",
    default_severity: Severity::Medium,
    summary: "A resource instance is tainted and will be replaced by the next apply",
    help: "A failed create or a `terraform taint` marks an instance for replacement. Check why before the next apply destroys it, or `terraform untaint` it.",
};

pub fn check(loaded: &LoadedState) -> Vec<Finding> {
    loaded
        .state
        .managed_instances()
        .filter(|(_, _, instance)| {
            instance.deposed.is_none() && instance.status.as_deref() == Some("tainted")
        })
        .map(|(address, _, _)| {
            Finding::new(
                INFO.id,
                INFO.default_severity,
                address_in(&loaded.origin, &address),
                format!("{address} is tainted: the next apply replaces it"),
            )
        })
        .collect()
}
