//! `tfaudit`: audits Terraform plans and remote state.
//!
//! The binary (`src/main.rs`) is a thin shell over this library:
//! * [`cli`] declares the command line;
//! * [`commands`] runs one subcommand each (`plan`, `state`, `drift`);
//! * [`findings`] is the vocabulary every rule produces and every reporter reads;
//! * [`report`] renders findings, one module per output format.

pub mod cli;
pub mod commands;
pub mod error;
pub mod findings;
pub mod report;
