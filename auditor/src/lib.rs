//! `tfaudit`: audits Terraform plans and remote state.
//!
//! The binary (`src/main.rs`) is a thin shell over this library:
//! * [`cli`] declares the command line;
//! * [`commands`] runs one subcommand each (`plan`, `state`, `drift`);
//! * [`findings`] is the vocabulary every rule produces and every reporter reads,
//!   [`error`] the input errors every reader shares, [`input_kind`] what kind
//!   of Terraform JSON a document is, [`registry`] the shape of
//!   every rule family and [`catalogue`] every rule of every command;
//! * [`audit`] audits one plan (every plan rule, waivers, redaction);
//! * [`report`] renders findings, one module per output format;
//! * [`plan`] reads plan JSON into compact per-change records, [`source`] maps
//!   addresses to the `.tf` files that declare them, [`rules`] holds the
//!   plan rules (one per file), [`config`] the `.tfaudit.toml` model and waivers,
//!   [`redact`] the sensitive-value redactor, [`policy`] Rego policies, [`attest`]
//!   signed attestations;
//! * [`state`] audits remote state, [`drift`] compares it with the cloud through
//!   the [`hcloud`] client; [`window_file`] reads `--window` files for `tfaudit gate`;
//! * [`serve`] is the read-only advisor (`tfaudit serve`) over the state audit.

pub mod attest;
pub mod audit;
pub mod catalogue;
pub mod cli;
pub mod commands;
pub mod config;
pub mod drift;
pub mod error;
pub mod findings;
pub mod hcloud;
pub mod input_kind;
pub mod plan;
pub mod policy;
pub mod redact;
pub mod registry;
pub mod report;
pub mod rules;
pub mod serve;
pub mod source;
pub mod state;
pub mod window_file;
