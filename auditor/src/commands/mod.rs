//! One module per subcommand. Each exposes its clap `Args` and a `run` function
//! returning the process exit code.

pub mod config;
pub mod drift;
pub mod error;
pub mod gate;
pub mod keygen;
pub mod lock;
pub mod plan;
pub mod rules;
pub mod state;
pub mod verify;
