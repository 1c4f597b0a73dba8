//! The configuration as every subcommand reads it: `--config`, else
//! `.tfaudit.toml` when present, else the defaults, validated against the
//! catalogue of every command (unknown settings and rule ids are errors naming
//! the file and the field).

use std::path::Path;

use super::error::CommandError;
use crate::catalogue;
use crate::config::Config;

/// The configuration, its rule ids checked against the catalogue.
pub fn load(config: Option<&Path>) -> Result<Config, CommandError> {
    Ok(Config::load(config, &catalogue::all_rules())?)
}
