//! The state rules, one module each, with stable ids.
//!
//! May import: `findings`, `registry`; nothing above.

use crate::findings::{Finding, RuleInfo};
use crate::registry::{Registry, Rule, RuleInput};

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

/// The input of the rules that compare states: an [`AuditInput`].
pub enum AcrossStates {}

impl RuleInput for AcrossStates {
    type Of<'a> = AuditInput<'a>;
}

/// The input of the rules that look inside one state: a [`LoadedState`].
pub enum PerState {}

impl RuleInput for PerState {
    type Of<'a> = LoadedState;
}

/// Rules that compare states with each other, with the journal or with locks.
pub const ACROSS_STATES: Registry<AcrossStates> = Registry {
    rules: &[
        Rule {
            info: stale_lock::INFO,
            check: stale_lock::check,
        },
        Rule {
            info: serial_regression::INFO,
            check: serial_regression::check,
        },
        Rule {
            info: lineage_changed::INFO,
            check: lineage_changed::check,
        },
        Rule {
            info: version_skew::INFO,
            check: version_skew::check,
        },
        Rule {
            info: unreadable::INFO,
            check: unreadable::check,
        },
    ],
    reported: &[],
};

/// Rules that look inside one state at a time. They run as soon as a state is
/// parsed, so that its attribute values need not be kept (see
/// [`super::source::collect`]).
pub const PER_STATE: Registry<PerState> = Registry {
    rules: &[
        Rule {
            info: output_secret_not_sensitive::INFO,
            check: output_secret_not_sensitive::check,
        },
        Rule {
            info: secret_in_attributes::INFO,
            check: secret_in_attributes::check,
        },
        Rule {
            info: tainted::INFO,
            check: tainted::check,
        },
        Rule {
            info: deposed::INFO,
            check: deposed::check,
        },
        Rule {
            info: empty::INFO,
            check: empty::check,
        },
    ],
    reported: &[],
};

/// Every state rule's description.
pub fn infos() -> Vec<RuleInfo> {
    ACROSS_STATES
        .infos()
        .into_iter()
        .chain(PER_STATE.infos())
        .collect()
}

/// Runs the rules that look inside one state.
pub fn per_state(loaded: &LoadedState) -> Vec<Finding> {
    PER_STATE.run(loaded)
}

/// Runs the rules that look across states.
pub fn across_states(input: &AuditInput<'_>) -> Vec<Finding> {
    ACROSS_STATES.run(input)
}
