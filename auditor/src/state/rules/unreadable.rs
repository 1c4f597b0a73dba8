//! `state/unreadable`: a state that could not be fetched or parsed.

use super::super::AuditInput;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/unreadable",
    default_severity: Severity::High,
    summary: "A state could not be fetched or is not a Terraform v4 state",
    help: "The object could not be read (permissions, network) or is not valid Terraform state JSON (truncated, wrong format version, not a state). Terraform cannot use it either.",
};

pub fn check(input: &AuditInput<'_>) -> Vec<Finding> {
    input
        .unreadable
        .iter()
        .map(|unreadable| {
            Finding::new(
                INFO.id,
                INFO.default_severity,
                unreadable.origin.clone(),
                format!("cannot read the state: {}", unreadable.reason),
            )
        })
        .collect()
}
