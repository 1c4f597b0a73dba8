//! `tfaudit state`: reads Terraform states (local files or S3/R2 objects, never
//! writing to the state bucket) and checks them against the state rules.
//!
//! * [`target`] parses TARGET arguments; [`source`] fetches states and lockfiles;
//! * [`model`] is Terraform's v4 state format; [`lock`] its S3 lockfile;
//! * [`journal`] remembers every state seen, to catch rollbacks between runs;
//! * [`secrets`] recognises secret-looking values without printing them;
//! * [`rules`] holds one module per rule;
//! * [`trail`] verifies the guardrail store's audit trail (`--guardrail-store`).
//!
//! May import: `findings`, `error`, `input_kind`, `registry`, `config`, `redact` and `guardrail_core` (the store); nothing above.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

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
    /// Input of another kind than a state (a plan): the run stops.
    #[error(transparent)]
    Input(#[from] crate::error::InputError),
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
