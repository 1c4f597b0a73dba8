//! `tfaudit drift`.

use clap::Args;

use crate::cli::OutputArgs;
use crate::error::AuditError;

#[derive(Debug, Args)]
pub struct DriftArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(_args: DriftArgs) -> Result<i32, AuditError> {
    Err(AuditError::Usage("`tfaudit drift` is not available yet".into()))
}
