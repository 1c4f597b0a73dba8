//! The errors that end a run, and the exit code each ends it with: every
//! library error a subcommand meets is mapped here to a usage or input error
//! (exit code 2). Findings at or above the threshold are not errors: the
//! subcommands return exit code 1 for them.

use crate::attest::AttestError;
use crate::drift::DriftError;
use crate::error::{value_free, InputError};
use crate::plan::parse::PlanError;
use crate::policy::PolicyError;
use crate::report::ReportError;
use crate::source::SourceError;
use crate::state::StateError;

/// Exit code of a usage or input error.
pub const USAGE_EXIT_CODE: i32 = 2;

/// A usage or input problem: the run stops and writes nothing.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Input that cannot be used; JSON errors read `FILE:LINE:COLUMN: ...`.
    #[error("{}", shown_input(.0))]
    Input(InputError),
    #[error("{0}")]
    Usage(String),
    #[error("{context}: {message}")]
    Other { context: String, message: String },
}

impl CommandError {
    /// Exit code for this error: always 2 (usage or input error).
    pub fn exit_code(&self) -> i32 {
        USAGE_EXIT_CODE
    }
}

/// An input error as the command line prints it.
fn shown_input(error: &InputError) -> String {
    match error {
        InputError::Json {
            file,
            line,
            column,
            message,
        } => format!(
            "{}:{line}:{column}: invalid JSON: {}",
            file.display(),
            value_free(message)
        ),
        other => other.to_string(),
    }
}

impl From<InputError> for CommandError {
    fn from(error: InputError) -> Self {
        CommandError::Input(error)
    }
}

impl From<PlanError> for CommandError {
    fn from(error: PlanError) -> Self {
        match error {
            PlanError::Input(error) => CommandError::Input(error),
            PlanError::Usage(message) => CommandError::Usage(message),
            PlanError::Other { context, message } => CommandError::Other { context, message },
        }
    }
}

impl From<SourceError> for CommandError {
    fn from(error: SourceError) -> Self {
        match error {
            SourceError::Input(error) => CommandError::Input(error),
            SourceError::Syntax { context, message } => CommandError::Other { context, message },
        }
    }
}

impl From<ReportError> for CommandError {
    fn from(error: ReportError) -> Self {
        match error {
            ReportError::Input(error) => CommandError::Input(error),
            ReportError::Spec(message) => CommandError::Usage(message),
            ReportError::Other { context, message } => CommandError::Other { context, message },
        }
    }
}

impl From<AttestError> for CommandError {
    fn from(error: AttestError) -> Self {
        match error {
            AttestError::Input(error) => CommandError::Input(error),
            AttestError::Options(message) => CommandError::Usage(message),
            AttestError::Store { context, message } => CommandError::Other { context, message },
        }
    }
}

impl From<PolicyError> for CommandError {
    fn from(error: PolicyError) -> Self {
        CommandError::Usage(error.to_string())
    }
}

impl From<StateError> for CommandError {
    fn from(error: StateError) -> Self {
        match error {
            StateError::Usage(message) => CommandError::Usage(message),
            StateError::Input(error) => CommandError::Input(error),
            StateError::Local { path, source } => {
                CommandError::Input(InputError::Read { file: path, source })
            }
            other => CommandError::Other {
                context: "tfaudit state".into(),
                message: other.to_string(),
            },
        }
    }
}

impl From<DriftError> for CommandError {
    fn from(error: DriftError) -> Self {
        match error {
            DriftError::Input(error) => CommandError::Input(error),
            DriftError::Hcloud(error) => CommandError::Other {
                context: "tfaudit drift".into(),
                message: error.to_string(),
            },
        }
    }
}
