//! The drift rules, one module each, with stable ids. Their findings are made
//! while comparing (see [`super::refresh`] and [`super::live`]): the registry
//! lists them as reported rules, with no check of their own.
//!
//! May import: `findings`, `registry`, `state`; nothing above.

use crate::findings::RuleInfo;
use crate::registry::{NoInput, Registry};

pub mod changed;
pub mod missing;
pub mod unmanaged;

/// Every drift rule (plus `state/unreadable`, which drift also reports).
pub const REGISTRY: Registry<NoInput> = Registry {
    rules: &[],
    reported: &[
        missing::INFO,
        changed::INFO,
        unmanaged::INFO,
        crate::state::rules::unreadable::INFO,
    ],
};

/// Every drift rule's description.
pub fn infos() -> Vec<RuleInfo> {
    REGISTRY.infos()
}
