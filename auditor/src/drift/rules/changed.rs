//! `drift/changed`: attributes that matter changed outside Terraform.

use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "drift/changed",
    default_severity: Severity::Medium,
    summary: "Attributes that matter changed outside Terraform",
    help: "The cloud no longer matches the state (server type, image, location, labels, firewall rules, IP ranges, volume size, load balancer type). The next apply reverts the change; adopt it in code first if it was intended.",
};

/// One changed attribute, rendered (`before` is the state's view).
pub struct Change {
    pub attribute: String,
    pub before: String,
    pub after: String,
}

/// A finding listing every change as `attribute: before -> after`.
pub fn finding(address: String, changes: &[Change]) -> Finding {
    let listed = changes
        .iter()
        .map(|change| {
            format!(
                "{}: {} -> {}",
                change.attribute, change.before, change.after
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Finding::new(
        INFO.id,
        INFO.default_severity,
        address,
        format!("changed outside Terraform: {listed}"),
    )
}
