//! `state/deposed`: deposed objects left by an interrupted create-before-destroy.

use super::super::address_in;
use super::super::source::LoadedState;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/deposed",
    default_severity: Severity::Medium,
    summary: "A resource has a deposed object (an interrupted create-before-destroy)",
    help: "The old object of a create-before-destroy replacement was not destroyed. It still exists in the cloud and the next apply will try to destroy it.",
};

pub fn check(loaded: &LoadedState) -> Vec<Finding> {
    loaded
        .state
        .managed_instances()
        .filter_map(|(address, _, instance)| {
            let key = instance.deposed.as_ref()?;
            Some(Finding::new(
                INFO.id,
                INFO.default_severity,
                address_in(&loaded.origin, &address),
                format!("{address} has deposed object {key}"),
            ))
        })
        .collect()
}
