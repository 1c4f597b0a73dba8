//! `plan/correlated-changes`: one plan changes many modules or several providers.

use std::collections::BTreeSet;

use super::{plan_finding, PlanContext};
use crate::findings::{Finding, RuleInfo, Severity};

/// Providers that accompany every change and do not make it broader.
const ACCOMPANYING_PROVIDERS: [&str; 2] = [
    "terraform.io/builtin/terraform",
    "sre-control-plane/guardrail",
];

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/correlated-changes",
    default_severity: Severity::Medium,
    summary: "One plan changes many modules or several providers",
    help: "Changes spread over many modules (`correlated_modules`, default 3) or over several \
           providers (say hcloud and kubernetes) fail together and are hard to roll back. \
           Consider splitting them.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let changing: Vec<_> = context
        .managed()
        .filter(|change| change.action.changes())
        .collect();
    let modules: BTreeSet<&str> = changing
        .iter()
        .map(|change| &*change.module_address)
        .filter(|module| !module.is_empty())
        .collect();
    let providers: BTreeSet<&str> = changing
        .iter()
        .map(|change| short_provider(&change.provider_name))
        .filter(|provider| !provider.is_empty() && !ACCOMPANYING_PROVIDERS.contains(provider))
        .collect();
    let mut spans: Vec<String> = Vec::new();
    if modules.len() >= context.config.correlated_modules {
        spans.push(format!(
            "changes span {} modules: {}",
            modules.len(),
            modules
                .iter()
                .take(10)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if providers.len() >= 2 {
        spans.push(format!(
            "changes span {} providers: {}",
            providers.len(),
            providers.iter().copied().collect::<Vec<_>>().join(", ")
        ));
    }
    if spans.is_empty() {
        return Vec::new();
    }
    vec![plan_finding(&INFO, spans.join("; "))]
}

/// `registry.terraform.io/hetznercloud/hcloud` -> `hetznercloud/hcloud`.
fn short_provider(name: &str) -> &str {
    name.strip_prefix("registry.terraform.io/")
        .or_else(|| name.strip_prefix("registry.opentofu.org/"))
        .unwrap_or(name)
}
