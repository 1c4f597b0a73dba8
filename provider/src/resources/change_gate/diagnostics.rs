//! What Terraform shows for a gate decision: errors for what stops the change,
//! a warning for what break glass lets through.

use guardrail_core::gate::{Blocker, Decision, GateRequest, Outcome};
use tf_provider::{AttributePath, Diagnostics};

/// Reports `decision` for a change that is about to `when` ("be planned", "be applied").
pub fn report(diags: &mut Diagnostics, request: &GateRequest, decision: &Decision, when: &str) {
    let environment = &request.environment;
    let plan_id = &request.plan_id;
    let describe = |blockers: Vec<&Blocker>| {
        blockers
            .iter()
            .map(|b| b.describe(environment, plan_id))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let hard: Vec<&Blocker> = decision.hard().collect();
    let bypassable: Vec<&Blocker> = decision.bypassable().collect();
    for blocker in &hard {
        let (summary, detail, path) = match blocker {
            Blocker::Attestation(_) => (
                "Attestation check failed",
                format!(
                    "{}\nThe gate refuses this apply; nothing behind it changes.",
                    blocker.describe(environment, plan_id)
                ),
                AttributePath::new("require_attestation"),
            ),
            Blocker::ClockOverrideWithAttestation { .. } => (
                "Simulated clock with attestation",
                blocker.describe(environment, plan_id),
                AttributePath::new("require_attestation"),
            ),
            _ => (
                "Cannot read the environment lock",
                blocker.describe(environment, plan_id),
                AttributePath::new("environment"),
            ),
        };
        diags.error(summary, detail, path);
    }
    if bypassable.is_empty() {
        return;
    }
    let reasons = describe(bypassable.clone());
    match (&request.break_glass, decision.outcome) {
        (Some(glass), Outcome::AllowedBreakGlass) | (Some(glass), Outcome::Denied) => diags
            .warning(
                "Break glass: passing a closed gate",
                format!(
                    "{reasons}\nThe gate lets this {} through because break_glass is set \
                 (reason: {}, ticket: {}). The audit trail records it.",
                    when.trim_start_matches("be "),
                    glass.reason,
                    if glass.ticket.is_empty() {
                        "none"
                    } else {
                        &glass.ticket
                    }
                ),
                AttributePath::new("break_glass"),
            ),
        _ => {
            let path = if decision.frozen_by().is_some() {
                AttributePath::new("environment")
            } else {
                AttributePath::new("change_window")
            };
            diags.error(
                "Change gate closed",
                format!(
                    "{reasons}\nNo change to {environment} may {when} now. In an emergency, add a \
                     break_glass {{ reason, ticket }} block."
                ),
                path,
            )
        }
    }
}
