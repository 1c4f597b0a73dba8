//! Terraform plans: the JSON model ([`model`]), reading it ([`parse`]) and
//! classifying its changes ([`classify`]).

pub mod classify;
pub mod model;
pub mod names;
pub mod parse;
pub mod prior_state;
mod secrets;
pub mod stream;

pub use classify::{Action, ChangeSummary, ReplaceOrder};
pub use model::{Plan, ResourceChange};
pub use parse::{load, LoadedPlan};
