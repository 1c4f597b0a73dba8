//! Terraform plans (`terraform show -json`, formats 0.1, 0.2 and 1.x): reading them into
//! compact records and what the records say, split by section of the plan
//! JSON as Terraform's own `jsonplan` is.
//!
//! The files, each importing only files above it in this list (no cycles),
//! and nothing of `rules`, `report`, `commands`, `config` or `cli`:
//!
//! 1. plain parts, importing nothing of the plan: [`names`] (shared names),
//!    [`address`] (Terraform addresses: module path, resource, instance
//!    keys; waiver globs), [`action`] (`change.actions`), [`retention`]
//!    (which types keep their values: data the reader is given), `tokens`
//!    (JSON tokens), [`scanner`] (the streaming JSON scanner);
//! 2. [`mask`]: sensitivity masks, the one walk that finds the strings under
//!    them, and [`mask::SensitiveSink`], the one way readers hand values to it
//!    (imports `tokens`);
//! 3. `fields`: deserializers for record fields (imports `names`, `action`,
//!    `retention`);
//! 4. the sections' records: [`change`] (`resource_changes[]`,
//!    `resource_drift[]`) and [`configuration`] (the module tree, found by
//!    [`address`]);
//! 5. [`model`]: the plan as a whole (imports `change`, `configuration`);
//! 6. what the records say: [`summary`] (counting changes) and [`resolve`]
//!    (variables through module calls, the environments and budgets the plan
//!    declares);
//! 7. reading: `secrets` (the reader's sink, collecting on a thread),
//!    [`prior_state`] (walks `prior_state` into the sink), [`reader`] (the
//!    plan object's members, dispatched), [`parse`] (files, stdin, binary
//!    plans; hashing).
//!
//! May import: `error`, `input_kind` and `guardrail_core`; never `rules`, `report`, `commands`, `config` or `cli`.

pub mod action;
pub mod address;
pub mod change;
pub mod configuration;
mod fields;
pub mod mask;
pub mod model;
pub mod names;
pub mod parse;
pub mod prior_state;
pub mod reader;
pub mod resolve;
pub mod retention;
pub mod scanner;
mod secrets;
pub mod summary;
mod tokens;

pub use action::{Action, ActionsProblem, ReplaceOrder};
pub use change::ResourceChange;
pub use model::Plan;
pub use parse::{load, LoadedPlan};
pub use summary::ChangeSummary;
