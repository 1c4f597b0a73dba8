//! Errors that end a run with exit code 2 (usage or input errors).

use std::path::PathBuf;

/// An input or usage problem: the run stops with exit code 2 and writes nothing.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: invalid JSON: {message}")]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: field `{field}`: {expected}")]
    Field {
        path: PathBuf,
        field: String,
        expected: String,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {message}")]
    Other { context: String, message: String },
}

impl AuditError {
    /// Exit code for this error: always 2 (usage or input error).
    pub fn exit_code(&self) -> i32 {
        2
    }
}
