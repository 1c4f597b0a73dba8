//! `tfaudit plan`.

use clap::Args;

use crate::cli::OutputArgs;
use crate::error::AuditError;

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(_args: PlanArgs) -> Result<i32, AuditError> {
    Err(AuditError::Usage("`tfaudit plan` is not available yet".into()))
}
