//! `tfaudit gate`: may this environment change now? The change gate's decision
//! (`guardrail_core::gate`) for changes that are not Terraform plans: an image
//! promotion, a Flux change, a manual runbook step.
//!
//! Exit 0 when the environment may change now (with break glass: a warning), 1
//! when it may not (the reasons: holder, reason and expiry of a freeze, the next
//! opening of a closed window), 2 on bad input. Every answer that lets a change
//! through, and every refusal, is written to the audit trail exactly as the
//! provider's `guardrail_change_gate` writes it.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use guardrail_core::audit_record::BreakGlass;
use guardrail_core::environment::EnvironmentName;
use guardrail_core::gate::{self, Blocker, GateRequest, Outcome, Phase};
use serde_json::json;

use super::args::StoreArgs;
use super::error::CommandError;
use crate::attest::connect_config;
use crate::window_file;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The environment about to change, such as `production`.
    #[arg(long, value_name = "ENV")]
    pub environment: String,

    #[command(flatten)]
    pub location: StoreArgs,

    /// The change window, in the shape of `guardrail_change_window` (HCL or JSON).
    #[arg(long, value_name = "FILE")]
    pub window: Option<PathBuf>,

    /// Pass a frozen environment or a closed window in an emergency; recorded.
    #[arg(long, value_name = "TEXT")]
    pub break_glass_reason: Option<String>,

    /// The incident or change ticket of the break glass.
    #[arg(long, value_name = "TICKET", requires = "break_glass_reason")]
    pub ticket: Option<String>,

    /// What the change is, recorded as its plan_id (e.g. `promote podinfo 6.7.1`).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub change: String,

    /// Answer only: the same decision, with nothing written (no audit record),
    /// for reviews and advice that must stay read-only. A change that goes
    /// ahead runs the gate without --check, so that its decision is recorded.
    #[arg(long, conflicts_with = "break_glass_reason")]
    pub check: bool,

    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = GateFormat::Text)]
    pub format: GateFormat,
}

pub async fn run(args: GateArgs) -> Result<i32, CommandError> {
    let environment = EnvironmentName::parse(&args.environment)
        .map_err(|error| CommandError::Usage(format!("--environment: {error}")))?;
    let store_config = args.location.config()?;
    let window = args.window.as_deref().map(window_file::load).transpose()?;
    let break_glass = match &args.break_glass_reason {
        Some(reason) if reason.trim().is_empty() => {
            return Err(CommandError::Usage(
                "--break-glass-reason is empty; breaking the glass needs a reason that the audit trail records".into(),
            ))
        }
        Some(reason) => Some(BreakGlass {
            reason: reason.clone(),
            ticket: args.ticket.clone().unwrap_or_default(),
        }),
        None => None,
    };
    let store = connect_config(&store_config).await?;
    let request = GateRequest {
        environment: environment.to_string(),
        phase: Phase::Apply,
        plan_id: args.change.clone(),
        now: chrono::Utc::now(),
        clock_override: None,
        window,
        break_glass,
        attestation: None,
    };
    let decision = gate::decide(&request, &gate::observe(&store, &request).await);
    let concluded = if args.check {
        gate::Concluded {
            decision,
            record_key: None,
            record: None,
        }
    } else {
        gate::conclude(&store, &request, decision)
            .await
            .map_err(|error| CommandError::Other {
                context: format!("recording the decision for {environment}"),
                message: error.to_string(),
            })?
    };
    let decision = &concluded.decision;
    let reasons = decision.reasons(&request.environment, &request.plan_id);
    match args.format {
        GateFormat::Json => {
            let frozen = decision.frozen_by().map(|lock| {
                json!({
                    "owner": lock.owner,
                    "reason": lock.reason,
                    "acquired_at": lock.acquired_at,
                    "expires_at": lock.expires_at,
                    "generation": lock.generation,
                })
            });
            let window = decision.blockers.iter().find_map(|blocker| match blocker {
                Blocker::WindowClosed {
                    reason, opens_at, ..
                } => Some(json!({"open": false, "reason": reason, "opens_at": opens_at})),
                _ => None,
            });
            let output = json!({
                "environment": request.environment,
                "decision": decision.outcome.as_str(),
                "allowed": decision.outcome.passes(),
                "reasons": reasons,
                "frozen": frozen,
                "window": window,
                "break_glass": (decision.outcome == Outcome::AllowedBreakGlass).then_some(&request.break_glass),
                "checked_at": request.now,
                "audit_record": concluded.record_key,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&output).unwrap_or_default()
            );
        }
        GateFormat::Text => {
            let verdict = match decision.outcome {
                Outcome::Allowed => format!("{environment} may change now"),
                Outcome::AllowedBreakGlass => {
                    format!("{environment} may change now, by breaking the glass")
                }
                Outcome::Denied => format!("{environment} may not change now"),
            };
            println!("{verdict}");
            for reason in &reasons {
                println!("  - {reason}");
            }
            if let Some(key) = &concluded.record_key {
                println!("  audit record: {key}");
            }
        }
    }
    if decision.outcome == Outcome::AllowedBreakGlass {
        if let Some(glass) = &request.break_glass {
            eprintln!(
                "tfaudit: warning: break glass: passing a closed gate (reason: {}, ticket: {}); the audit trail records it",
                glass.reason,
                if glass.ticket.is_empty() { "none" } else { &glass.ticket }
            );
        }
    }
    Ok(if decision.outcome.passes() { 0 } else { 1 })
}
