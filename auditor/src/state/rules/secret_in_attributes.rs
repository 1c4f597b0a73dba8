//! `state/secret-in-attributes`: a resource attribute holds a secret-looking
//! value that `sensitive_attributes` does not cover.

use super::super::address_in;
use super::super::secrets::{find_unmarked_secrets, sensitive_paths};
use super::super::source::LoadedState;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/secret-in-attributes",
    default_severity: Severity::High,
    summary: "A resource attribute holds a secret-looking value not marked sensitive",
    help: "The value is stored in clear in the state and shown by `terraform show`. Mark it sensitive in the module (or the provider schema), move it to a secret store, and rotate it. Only the attribute path is reported, never the value.",
};

pub fn check(loaded: &LoadedState) -> Vec<Finding> {
    let mut findings = Vec::new();
    for resource in &loaded.state.resources {
        for instance in &resource.instances {
            let Some(attributes) = &instance.attributes else {
                continue;
            };
            let sensitive = sensitive_paths(&instance.sensitive_attributes);
            for (path, kind) in
                find_unmarked_secrets(attributes, &sensitive, &resource.resource_type)
            {
                let address = resource.instance_address(instance);
                findings.push(Finding::new(
                    INFO.id,
                    INFO.default_severity,
                    address_in(&loaded.origin, &address),
                    format!(
                        "attribute `{path}` of {address} holds {kind} and is not marked sensitive"
                    ),
                ));
            }
        }
    }
    findings
}
