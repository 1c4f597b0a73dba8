//! `drift/missing`: in the state, gone from the cloud.

use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "drift/missing",
    default_severity: Severity::High,
    summary: "A resource in the state no longer exists in the cloud",
    help: "Someone deleted it outside Terraform (or the cloud did). The next apply creates it again; find out why it went before applying.",
};

/// A finding for `address`; `detail` says how this was found.
pub fn finding(address: String, detail: &str) -> Finding {
    Finding::new(
        INFO.id,
        INFO.default_severity,
        address,
        format!("gone from the cloud: {detail}"),
    )
}
