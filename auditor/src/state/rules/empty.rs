//! `state/empty`: a state with no resources at all.

use super::super::source::LoadedState;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/empty",
    default_severity: Severity::Low,
    summary: "A state holds no resources",
    help: "An empty state is either left over from a destroyed stack (delete it) or the result of a wrong `terraform init` that points at a fresh key (everything the real state tracks would be created again).",
};

pub fn check(loaded: &LoadedState) -> Vec<Finding> {
    if loaded.state.instance_count() > 0 {
        return Vec::new();
    }
    vec![Finding::new(
        INFO.id,
        INFO.default_severity,
        loaded.origin.clone(),
        format!(
            "state holds no resources (serial {}, {} outputs)",
            loaded.state.serial,
            loaded.state.outputs.len()
        ),
    )]
}
