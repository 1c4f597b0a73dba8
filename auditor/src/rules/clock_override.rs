//! `plan/clock-override`: the guardrail provider's clock is overridden, or the
//! audit itself runs on a simulated clock (`--now` / `GUARDRAIL_NOW`).

use super::{PlanContext, PLAN_ADDRESS};
use crate::findings::{Finding, RuleInfo, Severity};
use crate::plan::resolve::constant_string;

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/clock-override",
    default_severity: Severity::High,
    summary: "The guardrail clock is overridden (provider `now` or `allow_clock_override`, or `--now` / `GUARDRAIL_NOW`)",
    help: "`now` in the guardrail provider block, and `--now` or `GUARDRAIL_NOW` for the audit, \
           make change windows and expiries use a fixed time. They exist for labs and tests; in a \
           real environment they defeat the change window. A lab that means it lowers this \
           rule's severity in its `.tfaudit.toml`; `tfaudit plan --attest` never signs a plan \
           with this finding, whatever its severity.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let audit_clock = context
        .planned_at
        .filter(|_| context.clock_overridden)
        .map(|at| {
            let made = context
                .plan
                .timestamp
                .as_deref()
                .map(|timestamp| format!(", not at the plan's timestamp {timestamp}"))
                .unwrap_or_default();
            Finding::new(
                INFO.id,
                INFO.default_severity,
                PLAN_ADDRESS,
                format!(
                    "audited on a simulated clock: --now / GUARDRAIL_NOW = {}{made}",
                    at.to_rfc3339()
                ),
            )
        });
    context
        .plan
        .configuration
        .provider_config
        .iter()
        .filter(|(_, provider)| provider.name == "guardrail")
        .filter(|(_, provider)| provider.expressions.get("now").is_some())
        .map(|(key, provider)| {
            let value = constant_string(&provider.expressions, "now")
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
        .chain(allowed_overrides(context))
        .chain(audit_clock)
        .collect()
}

/// `allow_clock_override` set to anything but the constant `false`: the provider
/// would honour `GUARDRAIL_NOW`, which only labs and tests may do.
fn allowed_overrides(context: &PlanContext) -> Vec<Finding> {
    context
        .plan
        .configuration
        .provider_config
        .iter()
        .filter(|(_, provider)| provider.name == "guardrail")
        .filter(|(_, provider)| provider.expressions.get("allow_clock_override").is_some())
        .filter(|(_, provider)| {
            // A constant, or a variable followed up to its value; unknown counts as set.
            let value = match provider.module_address.as_deref() {
                Some(module) => {
                    context.resolve_in(module, &provider.expressions, "allow_clock_override", true)
                }
                None => context.resolve(&provider.expressions, "allow_clock_override", true),
            };
            value != Some(serde_json::Value::Bool(false))
        })
        .map(|(key, _)| {
            Finding::new(
                INFO.id,
                INFO.default_severity,
                format!("provider.{key}"),
                format!(
                    "provider {key} sets allow_clock_override: GUARDRAIL_NOW would move its clock"
                ),
            )
        })
        .collect()
}
