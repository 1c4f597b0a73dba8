//! The command line, declared with clap. Each subcommand's own arguments live
//! beside its implementation in [`crate::commands`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::commands;
use crate::findings::FailOn;
use crate::report::Format;

/// Audit Terraform plans and remote state: risky diffs, budgets, drift, and signed
/// attestations for the guardrail change gate.
///
/// Exit codes: 0 nothing at or above the fail threshold; 1 findings at or above
/// it (or an attestation refused); 2 usage or input error.
#[derive(Debug, Parser)]
#[command(name = "tfaudit", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log filter for diagnostics on stderr (e.g. `debug`, `tfaudit=trace`).
    #[arg(long, global = true, env = "TFAUDIT_LOG", default_value = "warn")]
    pub log: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Audit a plan: classify what the change does, enforce budgets, and
    /// optionally sign an attestation for the change gate.
    Plan(commands::plan::PlanArgs),
    /// Audit remote state (local files or S3/R2 objects), read-only.
    State(commands::state::StateArgs),
    /// Compare state with the cloud (a refresh-only plan or live Hetzner Cloud).
    Drift(commands::drift::DriftArgs),
    /// May an environment change now? The change gate's decision (freeze, change
    /// window, break glass) for changes that are not Terraform: exit 0 yes, 1 no.
    Gate(commands::gate::GateArgs),
    /// Verify a plan file against its attestations before applying it: signed by
    /// a trusted key, for this plan's plan_id, unspent, unexpired, and issued for
    /// exactly these plan bytes (plan_digest).
    Verify(commands::verify::VerifyArgs),
    /// Generate an ed25519 signing key for `plan --attest` and print its public key.
    Keygen(commands::keygen::KeygenArgs),
    /// List every rule: stable id, default severity and summary.
    Rules(commands::rules::RulesArgs),
    /// An environment's lock: status, and release or takeover by an operator (audited).
    Lock(commands::lock::LockArgs),
}

/// Output options shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Also write a report: FORMAT=PATH (repeatable), e.g. `sarif=out.sarif`.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<String>,

    /// Configuration file (default: `.tfaudit.toml` when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Lowest severity that fails the run: info, low, medium, high, critical or never
    /// [default: high, or the configuration's `fail_on`].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

/// The report formats as `--format` names them (see [`Format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Github,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Junit => Format::Junit,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Github => Format::Github,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_its_flag_value() {
        let named: Vec<(String, Format)> = FormatArg::value_variants()
            .iter()
            .map(|arg| {
                let name = arg.to_possible_value().unwrap().get_name().to_string();
                (name, Format::from(*arg))
            })
            .collect();
        let expected: Vec<(String, Format)> = Format::ALL
            .iter()
            .map(|format| (format.name().to_string(), *format))
            .collect();
        assert_eq!(named, expected);
    }
}
