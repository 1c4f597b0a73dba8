//! The state rules, one module each, with stable ids.

use crate::findings::{Finding, RuleInfo};

use super::source::LoadedState;
use super::AuditInput;

pub mod deposed;
pub mod empty;
pub mod lineage_changed;
pub mod output_secret_not_sensitive;
pub mod secret_in_attributes;
pub mod serial_regression;
pub mod stale_lock;
pub mod tainted;
pub mod unreadable;
pub mod version_skew;

type AcrossStates = fn(&AuditInput<'_>) -> Vec<Finding>;
type PerState = fn(&LoadedState) -> Vec<Finding>;

/// Rules that compare states with each other, with the journal or with locks.
const ACROSS_STATES: [(RuleInfo, AcrossStates); 5] = [
    (stale_lock::INFO, stale_lock::check),
    (serial_regression::INFO, serial_regression::check),
    (lineage_changed::INFO, lineage_changed::check),
    (version_skew::INFO, version_skew::check),
    (unreadable::INFO, unreadable::check),
];

/// Rules that look inside one state at a time. They run as soon as a state is
/// parsed, so that its attribute values need not be kept (see
/// [`super::source::collect`]).
const PER_STATE: [(RuleInfo, PerState); 5] = [
    (
        output_secret_not_sensitive::INFO,
        output_secret_not_sensitive::check,
    ),
    (secret_in_attributes::INFO, secret_in_attributes::check),
    (tainted::INFO, tainted::check),
    (deposed::INFO, deposed::check),
    (empty::INFO, empty::check),
];

/// Every state rule's description.
pub fn infos() -> Vec<RuleInfo> {
    ACROSS_STATES
        .iter()
        .map(|(info, _)| *info)
        .chain(PER_STATE.iter().map(|(info, _)| *info))
        .collect()
}

/// Runs the rules that look inside one state.
pub fn per_state(loaded: &LoadedState) -> Vec<Finding> {
    PER_STATE
        .iter()
        .flat_map(|(_, check)| check(loaded))
        .collect()
}

/// Runs the rules that look across states.
pub fn across_states(input: &AuditInput<'_>) -> Vec<Finding> {
    ACROSS_STATES
        .iter()
        .flat_map(|(_, check)| check(input))
        .collect()
}
