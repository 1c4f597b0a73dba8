//! What a resource change does: `change.actions`, classified, and what is
//! wrong with a list Terraform never writes. Imports nothing else of the plan.

use guardrail_core::budget::ChangeKind;
use serde::Serialize;

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

    /// The action of a `change.actions` list, or what is wrong with it:
    /// every list Terraform writes is one of [`KNOWN_ACTION_LISTS`].
    pub fn of_list<S: AsRef<str>>(actions: &[S]) -> Result<Action, ActionsProblem> {
        let mut list = ActionListReader::default();
        for action in actions {
            list.push(action.as_ref());
        }
        list.finish()
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

/// Every action name Terraform writes in `change.actions`.
pub const ACTION_NAMES: [&str; 6] = ["no-op", "create", "read", "update", "delete", "forget"];

/// The most actions in one list Terraform writes.
const MAX_ACTIONS: usize = 2;

/// Every `change.actions` list Terraform writes, for error messages (without
/// double quotes, which error messages keep for input values).
pub const KNOWN_ACTION_LISTS: &str = "[no-op], [create], [read], [update], [delete], [forget], \
     [delete, create], [create, delete] or [create, forget]";

/// Reads a `change.actions` list name by name, keeping no strings.
#[derive(Debug, Default)]
pub struct ActionListReader {
    /// The first names, when Terraform writes them.
    names: Vec<&'static str>,
    count: usize,
    first_unknown: Option<usize>,
}

impl ActionListReader {
    pub fn push(&mut self, name: &str) {
        match ACTION_NAMES.iter().find(|known| **known == name) {
            Some(known) if self.names.len() < MAX_ACTIONS => self.names.push(known),
            Some(_) => {}
            None => {
                self.first_unknown.get_or_insert(self.count);
            }
        }
        self.count += 1;
    }

    /// The action of the list, or what is wrong with it.
    pub fn finish(self) -> Result<Action, ActionsProblem> {
        if let Some(position) = self.first_unknown {
            return Err(ActionsProblem::UnknownName { position });
        }
        match self.count {
            0 => Err(ActionsProblem::Empty),
            count if count > MAX_ACTIONS => Err(ActionsProblem::TooLong(count)),
            _ => match Action::from_actions(&self.names) {
                Action::Unknown => Err(ActionsProblem::UnknownList(self.names)),
                action => Ok(action),
            },
        }
    }
}

/// What is wrong with a `change.actions` that names no action Terraform
/// writes. It never quotes a name it does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionsProblem {
    /// No `actions` member (or no `change`).
    Missing,
    /// `actions` is `null`.
    Null,
    Empty,
    /// The element at `position` (from 0) is no action name Terraform writes.
    UnknownName {
        position: usize,
    },
    /// Action names Terraform writes, in a list it never writes.
    UnknownList(Vec<&'static str>),
    /// More actions than any list Terraform writes.
    TooLong(usize),
}

impl std::fmt::Display for ActionsProblem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            ActionsProblem::Missing => formatter.write_str("missing"),
            ActionsProblem::Null => formatter.write_str("null"),
            ActionsProblem::Empty => formatter.write_str("an empty list"),
            ActionsProblem::UnknownName { position } => {
                write!(
                    formatter,
                    "element {position} is not an action Terraform writes"
                )
            }
            ActionsProblem::UnknownList(names) => {
                write!(
                    formatter,
                    "[{}] is no list Terraform writes",
                    names.join(", ")
                )
            }
            ActionsProblem::TooLong(count) => {
                write!(
                    formatter,
                    "a list of {count} actions is no list Terraform writes"
                )
            }
        }
    }
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
            let listed = Action::of_list(actions);
            match expected {
                Action::Unknown => assert!(listed.is_err(), "{actions:?}"),
                known => assert_eq!(listed, Ok(known), "{actions:?}"),
            }
        }
    }

    #[test]
    fn lists_terraform_never_writes_say_what_is_wrong_without_quoting_names() {
        let cases: [(&[&str], &str); 6] = [
            (&[], "an empty list"),
            (&["destroy"], "element 0 is not an action Terraform writes"),
            (
                &["delete", "Sup3rS3cret"],
                "element 1 is not an action Terraform writes",
            ),
            (
                &["delete", "delete"],
                "[delete, delete] is no list Terraform writes",
            ),
            (
                &["read", "create"],
                "[read, create] is no list Terraform writes",
            ),
            (
                &["delete", "create", "delete"],
                "a list of 3 actions is no list Terraform writes",
            ),
        ];
        for (actions, expected) in cases {
            let problem = Action::of_list(actions).unwrap_err();
            assert_eq!(problem.to_string(), expected, "{actions:?}");
        }
        for name in ACTION_NAMES {
            assert!(KNOWN_ACTION_LISTS.contains(&format!("[{name}]")), "{name}");
        }
    }
}
