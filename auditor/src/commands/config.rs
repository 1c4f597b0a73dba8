//! The configuration as every subcommand reads it: `--config`, else the
//! `.tfaudit.toml` of the working folder or the nearest folder above it within
//! the repository, else the defaults, validated against the
//! catalogue of every command (unknown settings and rule ids are errors naming
//! the file and the field).

use std::path::Path;

use super::error::CommandError;
use crate::catalogue;
use crate::config::Config;

/// The configuration, its rule ids checked against the catalogue.
/// The file used is said on stderr, so that a run never applies settings
/// nobody knows about.
pub fn load(config: Option<&Path>) -> Result<Config, CommandError> {
    let config = Config::load(config, &catalogue::all_rules())?;
    if let Some(path) = &config.path {
        eprintln!("tfaudit: configuration {}", path.display());
    }
    Ok(config)
}
