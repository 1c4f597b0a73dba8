//! `drift/unmanaged`: cloud resources carrying the cluster's labels that no
//! audited state manages.

use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "drift/unmanaged",
    default_severity: Severity::Medium,
    summary: "A cloud resource carries the cluster's labels but no audited state manages it",
    help: "Left over from a failed run, created by hand, or managed by a state that was not audited. Import it, delete it, or audit the state that owns it.",
};

/// A finding for the object `id` of `resource_type`.
pub fn finding(
    resource_type: &str,
    collection: &str,
    id: &str,
    name: &str,
    selector: &str,
) -> Finding {
    Finding::new(
        INFO.id,
        INFO.default_severity,
        format!("hcloud:{collection}/{id}"),
        format!("{resource_type} `{name}` (id {id}) matches label selector `{selector}` but no audited state manages it"),
    )
}
