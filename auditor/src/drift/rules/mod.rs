//! The drift rules, one module each, with stable ids.

use crate::findings::RuleInfo;

pub mod changed;
pub mod missing;
pub mod unmanaged;

/// Every drift rule's description (plus `state/unreadable`, which drift also reports).
pub fn infos() -> Vec<RuleInfo> {
    vec![
        missing::INFO,
        changed::INFO,
        unmanaged::INFO,
        crate::state::rules::unreadable::INFO,
    ]
}
