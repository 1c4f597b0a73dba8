//! `tfaudit state`: reads Terraform states (local files or S3/R2 objects, never
//! writing to the state bucket) and checks them against the state rules.
//!
//! * [`target`] parses TARGET arguments; [`source`] fetches states and lockfiles;
//! * [`model`] is Terraform's v4 state format; [`lock`] its S3 lockfile;
//! * [`journal`] remembers every state seen, to catch rollbacks between runs;
//! * [`secrets`] recognises secret-looking values without printing them;
//! * [`rules`] holds one module per rule;
//! * [`trail`] verifies the guardrail store's audit trail (`--guardrail-store`).

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Config;

pub mod journal;
pub mod lock;
pub mod model;
pub mod rules;
pub mod secrets;
pub mod source;
pub mod target;
pub mod trail;

/// Problems that stop a state audit (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{path}: {source}")]
    Local {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{location}: cannot list objects: {message}")]
    List { location: String, message: String },
    #[error("journal {location}: {message}")]
    Journal { location: String, message: String },
    #[error("{0}: no *.tfstate found")]
    NothingFound(String),
    #[error("an s3:// target needs an S3 client")]
    NoS3Client,
    #[error("a fetch task failed: {0}")]
    Task(String),
    #[error("guardrail store {location}: {message}")]
    GuardrailStore { location: String, message: String },
    #[error("{0}")]
    Usage(String),
}

/// What every state rule reads.
pub struct AuditInput<'a> {
    pub states: &'a [source::LoadedState],
    pub unreadable: &'a [source::Unreadable],
    pub locks: &'a [lock::LockObject],
    /// Empty when no journal is given.
    pub history: &'a journal::JournalHistory,
    pub now: DateTime<Utc>,
    pub stale_lock_after: Duration,
}

/// The finding address of something inside a state: `ORIGIN#ADDRESS`.
pub fn address_in(origin: &str, address: &str) -> String {
    format!("{origin}#{address}")
}

/// The configuration (`--config`, else `.tfaudit.toml` when present, else the
/// defaults), validated as for every command: unknown settings and rule ids are
/// errors naming the file and the field.
pub fn load_config(config: Option<&std::path::Path>) -> Result<Config, StateError> {
    Config::load(config, &[]).map_err(|error| StateError::Usage(error.to_string()))
}

/// The top-level `fail_on` of the configuration file; `None` when unset. The
/// whole file is validated.
pub fn config_fail_on(
    config: Option<&std::path::Path>,
) -> Result<Option<crate::findings::FailOn>, StateError> {
    Ok(load_config(config)?.fail_on)
}

/// Applies the configuration's `[severity]` overrides and `[[waiver]]`s to
/// `findings`, judging waiver expiry by today's date (UTC), and adds a
/// `config/waiver-expired` finding for each expired waiver.
pub fn apply_config(
    config: Option<&std::path::Path>,
    findings: &mut Vec<crate::findings::Finding>,
) -> Result<(), StateError> {
    load_config(config)?.apply(findings, Utc::now().date_naive());
    Ok(())
}

fn config_path(config: Option<&std::path::Path>) -> PathBuf {
    config
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".tfaudit.toml"))
}

/// The configuration file as a TOML table, or `None` when no `--config` is given
/// and `.tfaudit.toml` does not exist.
pub fn read_config(config: Option<&std::path::Path>) -> Result<Option<toml::Table>, StateError> {
    let path = config_path(config);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if config.is_none() && error.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None)
        }
        Err(source) => return Err(StateError::Local { path, source }),
    };
    text.parse::<toml::Table>().map(Some).map_err(|error| {
        StateError::Usage(format!(
            "{}: invalid TOML: {}",
            path.display(),
            error.to_string().replace('\n', " ")
        ))
    })
}
