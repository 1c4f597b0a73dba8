//! One module per subcommand. Each exposes its clap `Args` and a `run` function
//! returning the process exit code. [`args`] holds the options they share,
//! [`config`] how they read the configuration, [`output`] where the report
//! goes, [`progress`] the progress bar of long reads, and [`error`] the errors
//! that end a run with their exit codes.
//!
//! May import: every library module of the crate; only `cli` and `main` sit above.

pub mod args;
pub mod config;
pub mod drift;
pub mod error;
pub mod gate;
pub mod keygen;
pub mod lock;
pub mod output;
pub mod plan;
pub mod progress;
pub mod rules;
pub mod serve;
pub mod state;
pub mod verify;
