//! The command line, declared with clap. Each subcommand's own arguments live
//! beside its implementation in [`crate::commands`], and the options every
//! subcommand shares in [`crate::commands::args`].

use clap::{Parser, Subcommand};

use crate::commands;

pub use crate::commands::args::{FormatArg, OutputArgs};

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

    /// No colour on stdout or stderr (as `NO_COLOR` or `TERM=dumb`), and no
    /// progress bar.
    #[arg(long, global = true)]
    pub no_color: bool,

    /// No progress bar on stderr (diagnostics and errors still print).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

impl Cli {
    /// Parses the command line, and tells [`commands::output`] what it says of
    /// stdout.
    pub fn parse_and_configure() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Cli::command().get_matches();
        let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
        let format_given = matches.subcommand().is_some_and(|(_, sub)| {
            sub.try_contains_id("format").unwrap_or(false)
                && sub.value_source("format") == Some(clap::parser::ValueSource::CommandLine)
        });
        commands::output::configure(commands::output::StdoutOptions {
            format_given,
            no_color: cli.no_color,
            quiet: cli.quiet,
        });
        cli
    }
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
    /// Run the read-only advisor: audits state, locks, the trail and
    /// attestations in a loop and serves the report over HTTP.
    Serve(commands::serve::ServeArgs),
}
