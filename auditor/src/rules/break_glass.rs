//! `plan/break-glass`: a change gate has its glass broken.

use serde_json::Value;

use super::{change_finding, PlanContext, GATE_TYPE};
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/break-glass",
    default_severity: Severity::High,
    summary: "A change gate's break-glass block is set",
    help: "Breaking the glass lets the gate pass through a freeze or a closed window. It is \
           recorded in the audit trail; reviewers should confirm the reason and the ticket.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    context
        .of_type(GATE_TYPE)
        .filter_map(|change| {
            let glass = change
                .after
                .as_ref()?
                .get("break_glass")?
                .as_array()?
                .first()?;
            let text = |name: &str| {
                glass
                    .get(name)
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
            };
            Some(change_finding(
                &INFO,
                change,
                format!(
                    "break glass: reason \"{}\", ticket {}",
                    text("reason").unwrap_or("(unknown until apply)"),
                    text("ticket").unwrap_or("none"),
                ),
            ))
        })
        .collect()
}
