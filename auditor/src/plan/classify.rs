//! What a resource change does, and how a plan's changes are counted.
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

use guardrail_core::budget::{ChangeCounts, ChangeKind};
use serde::Serialize;

use super::model::ResourceChange;

/// Which half of a replacement happens first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplaceOrder {
    /// `["delete", "create"]`: the old object is destroyed first (downtime).
    DestroyBeforeCreate,
    /// `["create", "delete"]`: the new object exists before the old one goes.
    CreateBeforeDestroy,
}

/// The action of one resource change, from `change.actions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Read,
    Update,
    Delete,
    Replace(ReplaceOrder),
    Forget,
    /// `["create", "forget"]`.
    CreateAndForget,
    /// An actions list Terraform does not produce.
    #[default]
    Unknown,
}

impl Action {
    pub fn from_actions<S: AsRef<str>>(actions: &[S]) -> Action {
        let actions: Vec<&str> = actions.iter().map(AsRef::as_ref).collect();
        match actions.as_slice() {
            ["no-op"] => Action::NoOp,
            ["create"] => Action::Create,
            ["read"] => Action::Read,
            ["update"] => Action::Update,
            ["delete"] => Action::Delete,
            ["delete", "create"] => Action::Replace(ReplaceOrder::DestroyBeforeCreate),
            ["create", "delete"] => Action::Replace(ReplaceOrder::CreateBeforeDestroy),
            ["forget"] => Action::Forget,
            ["create", "forget"] => Action::CreateAndForget,
            _ => Action::Unknown,
        }
    }

    /// Whether the existing object is destroyed (deletes and replacements).
    pub fn destroys(self) -> bool {
        matches!(self, Action::Delete | Action::Replace(_))
    }

    /// Whether anything changes (reads and no-ops do not).
    pub fn changes(self) -> bool {
        !matches!(self, Action::NoOp | Action::Read | Action::Unknown)
    }

    /// The action as the budget arithmetic of `guardrail-core` sees it.
    pub fn budget_kind(self) -> Option<ChangeKind> {
        match self {
            Action::NoOp => Some(ChangeKind::NoOp),
            Action::Create => Some(ChangeKind::Create),
            Action::Read => Some(ChangeKind::Read),
            Action::Update => Some(ChangeKind::Update),
            Action::Delete => Some(ChangeKind::Delete),
            Action::Replace(_) => Some(ChangeKind::Replace),
            Action::Forget | Action::CreateAndForget => Some(ChangeKind::Forget),
            Action::Unknown => None,
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_lists_classify() {
        let cases: [(&[&str], Action); 10] = [
            (&["no-op"], Action::NoOp),
            (&["create"], Action::Create),
            (&["read"], Action::Read),
            (&["update"], Action::Update),
            (&["delete"], Action::Delete),
            (
                &["delete", "create"],
                Action::Replace(ReplaceOrder::DestroyBeforeCreate),
            ),
            (
                &["create", "delete"],
                Action::Replace(ReplaceOrder::CreateBeforeDestroy),
            ),
            (&["forget"], Action::Forget),
            (&["create", "forget"], Action::CreateAndForget),
            (&["delete", "delete"], Action::Unknown),
        ];
        for (actions, expected) in cases {
            assert_eq!(Action::from_actions(actions), expected, "{actions:?}");
        }
    }
}
