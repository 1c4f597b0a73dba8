//! `plan/window-closed`: a change gate's window is closed when the plan was made.

use guardrail_core::window::WindowSpec;
use serde_json::Value;

use super::{change_finding, PlanContext, GATE_TYPE};
use crate::error::value_free;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "plan/window-closed",
    default_severity: Severity::High,
    summary: "A change gate's window is closed at the plan's time",
    help: "The `change_window` of a `guardrail_change_gate` in the plan does not allow changes \
           at the plan's `timestamp`; the gate will refuse the apply unless the window opens \
           first or the glass is broken. The finding says when it opens next.",
};

pub fn check(context: &PlanContext) -> Vec<Finding> {
    let Some(at) = context.planned_at else {
        return Vec::new();
    };
    context
        .of_type(GATE_TYPE)
        .filter(|change| change.action.changes() || change.action == crate::plan::Action::NoOp)
        .filter_map(|change| {
            let block = change
                .after
                .as_ref()?
                .get("change_window")?
                .as_array()?
                .first()?;
            let spec: WindowSpec = match serde_json::from_value(without_nulls(block)) {
                Ok(spec) => spec,
                Err(error) => {
                    tracing::warn!(
                        address = %context.redactor.redact(&change.address),
                        error = %value_free(&error.to_string()),
                        "change_window not readable"
                    );
                    return None;
                }
            };
            let window = match spec.compile() {
                Ok(window) => window,
                Err(error) => {
                    tracing::warn!(
                        address = %context.redactor.redact(&change.address),
                        error = %value_free(&context.redactor.redact(&error.to_string())),
                        "change_window invalid"
                    );
                    return None;
                }
            };
            let status = window.status_at(at);
            if status.open {
                return None;
            }
            let next = status
                .opens_at
                .map(|opens| format!("; opens {}", opens.to_rfc3339()))
                .unwrap_or_else(|| "; does not open within the search horizon".into());
            Some(change_finding(
                &INFO,
                change,
                format!(
                    "change window ({}) closed at plan time {}: {}{next}",
                    window.timezone(),
                    at.to_rfc3339(),
                    status.reason
                ),
            ))
        })
        .collect()
}

/// A copy of `value` with every `null` object member removed (unset nested
/// attributes then take their defaults).
pub fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, item)| !item.is_null())
                .map(|(key, item)| (key.clone(), without_nulls(item)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}
