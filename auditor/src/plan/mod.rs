//! Terraform plans: the JSON model ([`model`]), reading it ([`parse`]) and
//! classifying its changes ([`classify`]).

pub mod classify;
mod configuration;
mod fields;
mod mask;
pub mod model;
pub mod names;
pub mod parse;
pub mod prior_state;
mod reader;
mod secrets;
pub mod stream;
mod tokens;

pub use classify::{Action, ActionsProblem, ChangeSummary, ReplaceOrder};
pub use model::{Plan, ResourceChange};
pub use parse::{load, LoadedPlan};
