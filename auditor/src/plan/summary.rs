//! How a plan's changes are counted.
//!
//! Counting (the `changes` summary):
//! * a replacement counts only as `replace` (never as a create plus a delete);
//! * `["create", "forget"]` (a new object is created while the old one is only
//!   removed from state) counts as `forget`; the `plan/forget` finding says that
//!   an object is created too;
//! * an import counts as `import` in addition to its action (an import without
//!   changes is also a `no_op`).
//!
//! Budgets: `destroy` = deletes + replacements; `changes` = creates + updates +
//! deletes + replacements + forgets.

use guardrail_core::budget::ChangeCounts;
use serde::Serialize;

use super::action::Action;
use super::change::ResourceChange;

/// The `changes` summary of a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ChangeSummary {
    pub create: u64,
    pub update: u64,
    pub delete: u64,
    pub replace: u64,
    pub read: u64,
    pub no_op: u64,
    pub forget: u64,
    pub import: u64,
}

impl ChangeSummary {
    /// Counts every resource change of a plan.
    pub fn of<'a>(changes: impl IntoIterator<Item = &'a ResourceChange>) -> ChangeSummary {
        let mut summary = ChangeSummary::default();
        for change in changes {
            summary.record(change);
        }
        summary
    }

    pub fn record(&mut self, change: &ResourceChange) {
        match change.action {
            Action::NoOp => self.no_op += 1,
            Action::Create => self.create += 1,
            Action::Read => self.read += 1,
            Action::Update => self.update += 1,
            Action::Delete => self.delete += 1,
            Action::Replace(_) => self.replace += 1,
            Action::Forget | Action::CreateAndForget => self.forget += 1,
            Action::Unknown => {}
        }
        if change.importing.is_some() {
            self.import += 1;
        }
    }

    /// The summary as a JSON object for the report.
    pub fn to_json(self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Budget counts of the changes `in_scope` selects.
pub fn budget_counts<'a>(
    changes: impl IntoIterator<Item = &'a ResourceChange>,
    mut in_scope: impl FnMut(&str) -> bool,
) -> ChangeCounts {
    let mut counts = ChangeCounts::default();
    for change in changes {
        if let Some(kind) = change.action.budget_kind() {
            if in_scope(&change.address) {
                counts.record(kind);
            }
        }
    }
    counts
}
