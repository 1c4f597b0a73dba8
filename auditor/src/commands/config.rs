//! The configuration as every subcommand reads it: `--config`, else
//! `.tfaudit.toml` when present, else the defaults, validated against the
//! catalogue of every command (unknown settings and rule ids are errors naming
//! the file and the field).

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::error::CommandError;
use crate::catalogue;
use crate::config::{Config, DEFAULT_CONFIG_FILE};
use crate::error::InputError;
use crate::findings::{FailOn, Finding, RuleInfo};

/// The configuration; rule ids may be any of the catalogue's or of `extra_rules`.
pub fn load_with(config: Option<&Path>, extra_rules: &[RuleInfo]) -> Result<Config, CommandError> {
    let mut known = catalogue::all_rules();
    known.extend_from_slice(extra_rules);
    Ok(Config::load(config, &known)?)
}

/// The configuration, its rule ids checked against the catalogue.
pub fn load(config: Option<&Path>) -> Result<Config, CommandError> {
    load_with(config, &[])
}

/// The top-level `fail_on` of the configuration file; `None` when unset. The
/// whole file is validated.
pub fn fail_on(config: Option<&Path>) -> Result<Option<FailOn>, CommandError> {
    Ok(load(config)?.fail_on)
}

/// Applies the configuration's `[severity]` overrides and `[[waiver]]`s to
/// `findings`, judging waiver expiry by today's date (UTC), and adds a
/// `config/waiver-expired` finding for each expired waiver.
pub fn apply(config: Option<&Path>, findings: &mut Vec<Finding>) -> Result<(), CommandError> {
    load(config)?.apply(findings, Utc::now().date_naive());
    Ok(())
}

/// The configuration file as a TOML table, or `None` when no `--config` is given
/// and `.tfaudit.toml` does not exist.
pub fn read_table(config: Option<&Path>) -> Result<Option<toml::Table>, CommandError> {
    let path = config
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if config.is_none() && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None)
        }
        Err(source) => return Err(InputError::Read { file: path, source }.into()),
    };
    let table = text
        .parse::<toml::Table>()
        .map_err(|error| InputError::Invalid {
            file: path.clone(),
            problem: format!("invalid TOML: {}", error.to_string().replace('\n', " ")),
        })?;
    Ok(Some(table))
}
