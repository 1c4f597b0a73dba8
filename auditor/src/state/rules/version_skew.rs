//! `state/version-skew`: states of one bucket written by different Terraform
//! versions, or holding one resource type at different provider schema versions.

use std::collections::BTreeMap;

use super::super::AuditInput;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/version-skew",
    default_severity: Severity::Low,
    summary: "States of one bucket were written by different Terraform or provider versions",
    help: "Mixed versions mean some stacks run an older Terraform or provider. A state written by a newer Terraform cannot be read by an older one; pin one version per bucket.",
};

pub fn check(input: &AuditInput<'_>) -> Vec<Finding> {
    let mut groups: BTreeMap<&str, Vec<&super::super::source::LoadedState>> = BTreeMap::new();
    for loaded in input.states {
        groups
            .entry(loaded.group.as_str())
            .or_default()
            .push(loaded);
    }
    let mut findings = Vec::new();
    for (group, states) in groups {
        let mut terraform: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut schemas: BTreeMap<(&str, &str), BTreeMap<u64, Vec<&str>>> = BTreeMap::new();
        for loaded in &states {
            terraform
                .entry(loaded.state.terraform_version.as_str())
                .or_default()
                .push(&loaded.origin);
            for resource in loaded
                .state
                .resources
                .iter()
                .filter(|r| r.mode == "managed")
            {
                for instance in &resource.instances {
                    let origins = schemas
                        .entry((resource.provider_source(), resource.resource_type.as_str()))
                        .or_default()
                        .entry(instance.schema_version)
                        .or_default();
                    if origins.last() != Some(&loaded.origin.as_str()) {
                        origins.push(&loaded.origin);
                    }
                }
            }
        }
        if terraform.len() > 1 {
            findings.push(Finding::new(
                INFO.id,
                INFO.default_severity,
                group.to_owned(),
                format!("Terraform versions differ: {}", describe(&terraform)),
            ));
        }
        for ((provider, resource_type), versions) in schemas.iter().filter(|(_, v)| v.len() > 1) {
            let versions: BTreeMap<String, Vec<&str>> = versions
                .iter()
                .map(|(v, origins)| (format!("schema {v}"), origins.clone()))
                .collect();
            findings.push(Finding::new(
                INFO.id,
                INFO.default_severity,
                group.to_owned(),
                format!(
                    "provider {provider} wrote {resource_type} at different schema versions: {}",
                    describe_owned(&versions)
                ),
            ));
        }
    }
    findings
}

fn describe(versions: &BTreeMap<&str, Vec<&str>>) -> String {
    versions
        .iter()
        .map(|(version, origins)| {
            format!(
                "{} in {}",
                if version.is_empty() {
                    "(unknown)"
                } else {
                    version
                },
                list(origins)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_owned(versions: &BTreeMap<String, Vec<&str>>) -> String {
    versions
        .iter()
        .map(|(version, origins)| format!("{version} in {}", list(origins)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn list(origins: &[&str]) -> String {
    const SHOWN: usize = 3;
    let mut text = origins
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if origins.len() > SHOWN {
        text.push_str(&format!(" and {} more", origins.len() - SHOWN));
    }
    text
}
