//! `plan/gate-missing`: a protected environment is changed without a change gate.

use super::{plan_finding, PlanContext, GATE_TYPE};
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/gate-missing",
    default_severity: Severity::High,
    summary: "A protected environment is changed without a change gate",
    help: "Plans for the environments in `protected_environments` (default: production) must \
           contain a `guardrail_change_gate` that the changed resources depend on, so freezes, \
           change windows and attestations are enforced at apply. The environment is read from \
           the guardrail provider's `environment` and from budgets: a constant, or a reference \
           to a root variable (`environment = var.environment`) resolved through the plan's \
           variables.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let has_gate = context.of_type(GATE_TYPE).next().is_some();
    if has_gate {
        return Vec::new();
    }
    let changed = context
        .managed()
        .filter(|change| change.action.changes())
        .count();
    if changed == 0 {
        return Vec::new();
    }
    let protected: Vec<String> = context
        .environments()
        .into_iter()
        .filter(|environment| context.config.protects_environment(&environment.name))
        .map(|environment| environment.label().to_string())
        .collect();
    if protected.is_empty() {
        return Vec::new();
    }
    vec![plan_finding(
        &INFO,
        format!(
            "changes {changed} resources in protected environment {} without a {GATE_TYPE}",
            protected.join(", ")
        ),
    )]
}
