//! `tfaudit state`.

use clap::Args;

use crate::cli::OutputArgs;
use crate::error::AuditError;

#[derive(Debug, Args)]
pub struct StateArgs {
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(_args: StateArgs) -> Result<i32, AuditError> {
    Err(AuditError::Usage("`tfaudit state` is not available yet".into()))
}
