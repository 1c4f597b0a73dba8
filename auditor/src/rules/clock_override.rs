//! `plan/clock-override`: the guardrail provider's clock is overridden.

use super::PlanContext;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/clock-override",
    default_severity: Severity::High,
    summary: "The guardrail provider's clock is overridden (`now`)",
    help: "`now` in the guardrail provider block makes change windows and expiries use a fixed \
           time. It exists for labs and tests; in a real environment it defeats the change window.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .plan
        .configuration
        .provider_config
        .iter()
        .filter(|(_, provider)| provider.name == "guardrail")
        .filter(|(_, provider)| provider.expressions.get("now").is_some())
        .map(|(key, provider)| {
            let value = super::constant_string(&provider.expressions, "now")
                .map(|now| format!(" = {now}"))
                .unwrap_or_else(|| " (from an expression)".into());
            let module = provider
                .module_address
                .as_deref()
                .map(|module| format!(" in {module}"))
                .unwrap_or_default();
            Finding::new(
                INFO.id,
                INFO.default_severity,
                format!("provider.{key}"),
                format!("provider {key}{module} sets now{value}"),
            )
        })
        .collect()
}
