//! Blast-radius budgets: how much one change may destroy, replace or touch,
//! and which resources the budget looks at.

use serde::{Deserialize, Deserializer, Serialize};

use crate::environment::EnvironmentName;
use crate::window::quoted;

/// A budget as declared by the `guardrail_blast_radius_budget` resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BudgetSpec {
    #[serde(deserialize_with = "null_as_default")]
    pub environment: String,
    /// Objects destroyed, replacements included.
    pub max_destroy: Option<i64>,
    /// Objects replaced (destroyed and created again, in either order).
    pub max_replace: Option<i64>,
    /// Creates + updates + deletes + replaces (reads and no-ops do not count).
    pub max_changes: Option<i64>,
    /// Resource types (such as `hcloud_volume`) that must not be destroyed or replaced.
    #[serde(deserialize_with = "null_as_default")]
    pub protected_types: Vec<String>,
    /// Module address prefixes (`module.cluster`); empty: the whole configuration.
    #[serde(deserialize_with = "null_as_default")]
    pub scope: Vec<String>,
}

/// The changes in a plan that fall under one budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ChangeCounts {
    pub destroy: u64,
    pub replace: u64,
    pub changes: u64,
}

/// A limit the counted changes go beyond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetViolation {
    /// The attribute name: `max_destroy`, `max_replace` or `max_changes`.
    pub limit: &'static str,
    pub allowed: u64,
    pub actual: u64,
}

/// An invalid budget field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct BudgetError {
    pub field: String,
    pub message: String,
}

/// What a resource change in a Terraform plan does, from its `actions` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    NoOp,
    Read,
    Create,
    Update,
    Delete,
    /// `["delete", "create"]` or `["create", "delete"]`.
    Replace,
    /// Removed from state without being destroyed.
    Forget,
}

impl ChangeKind {
    /// Classifies a plan JSON `change.actions` list; `None` for a list
    /// Terraform does not produce.
    pub fn from_actions<S: AsRef<str>>(actions: &[S]) -> Option<Self> {
        let actions: Vec<&str> = actions.iter().map(AsRef::as_ref).collect();
        match actions.as_slice() {
            ["no-op"] => Some(Self::NoOp),
            ["read"] => Some(Self::Read),
            ["create"] => Some(Self::Create),
            ["update"] => Some(Self::Update),
            ["delete"] => Some(Self::Delete),
            ["delete", "create"] | ["create", "delete"] => Some(Self::Replace),
            ["forget"] => Some(Self::Forget),
            _ => None,
        }
    }

    /// Whether the object is destroyed (deletes and replacements).
    pub fn destroys(self) -> bool {
        matches!(self, Self::Delete | Self::Replace)
    }
}

impl ChangeCounts {
    /// Counts one resource change.
    pub fn record(&mut self, kind: ChangeKind) {
        match kind {
            ChangeKind::NoOp | ChangeKind::Read => {}
            ChangeKind::Create | ChangeKind::Update | ChangeKind::Forget => self.changes += 1,
            ChangeKind::Delete => {
                self.destroy += 1;
                self.changes += 1;
            }
            ChangeKind::Replace => {
                self.destroy += 1;
                self.replace += 1;
                self.changes += 1;
            }
        }
    }
}

impl BudgetSpec {
    /// Checks every field; the first invalid one is reported.
    pub fn validate(&self) -> Result<(), BudgetError> {
        EnvironmentName::parse(&self.environment)
            .map_err(|error| budget_error("environment", error.to_string()))?;
        for (field, value) in self.limits() {
            if let Some(value) = value.filter(|value| *value < 0) {
                return Err(budget_error(
                    field,
                    format!("must be zero or more, got {value}"),
                ));
            }
        }
        for (index, resource_type) in self.protected_types.iter().enumerate() {
            if !is_resource_type(resource_type) {
                return Err(budget_error(
                    &format!("protected_types[{index}]"),
                    format!(
                        "{}: expected a resource type such as hcloud_volume (lowercase letters, digits and '_')",
                        quoted(resource_type)
                    ),
                ));
            }
        }
        for (index, prefix) in self.scope.iter().enumerate() {
            if !is_module_address(prefix) {
                return Err(budget_error(
                    &format!("scope[{index}]"),
                    format!(
                        "{}: expected a module address such as module.cluster or module.nodes[\"eu\"]",
                        quoted(prefix)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether a resource address falls under this budget: an empty scope
    /// covers everything, otherwise the address must lie inside one of the
    /// listed modules (whole path segments; any instance of `module.a` is
    /// inside `module.a`).
    pub fn in_scope(&self, resource_address: &str) -> bool {
        self.scope.is_empty()
            || self.scope.iter().any(|prefix| {
                let prefix = prefix.trim();
                !prefix.is_empty()
                    && resource_address.strip_prefix(prefix).is_some_and(|rest| {
                        rest.is_empty() || rest.starts_with('.') || rest.starts_with('[')
                    })
            })
    }

    /// Whether a resource type is listed in `protected_types`.
    pub fn protects(&self, resource_type: &str) -> bool {
        self.protected_types
            .iter()
            .any(|listed| listed == resource_type)
    }

    /// The limits the counts exceed, in the order max_destroy, max_replace, max_changes.
    pub fn check(&self, counts: &ChangeCounts) -> Vec<BudgetViolation> {
        let actual = [counts.destroy, counts.replace, counts.changes];
        self.limits()
            .into_iter()
            .zip(actual)
            .filter_map(|((limit, allowed), actual)| {
                let allowed = u64::try_from(allowed?.max(0)).unwrap_or(0);
                (actual > allowed).then_some(BudgetViolation {
                    limit,
                    allowed,
                    actual,
                })
            })
            .collect()
    }

    fn limits(&self) -> [(&'static str, Option<i64>); 3] {
        [
            ("max_destroy", self.max_destroy),
            ("max_replace", self.max_replace),
            ("max_changes", self.max_changes),
        ]
    }
}

/// Plan JSON writes unset attributes as `null`; read those as empty.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn budget_error(field: &str, message: String) -> BudgetError {
    BudgetError {
        field: field.to_string(),
        message,
    }
}

fn is_identifier(text: &str) -> bool {
    let mut characters = text.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_resource_type(text: &str) -> bool {
    !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_lowercase())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// `module.NAME` with an optional instance key (`[0]` or `["key"]`), repeated
/// with `.` for nested modules.
fn is_module_address(text: &str) -> bool {
    let mut rest = text;
    loop {
        let Some(after_keyword) = rest.strip_prefix("module.") else {
            return false;
        };
        let name_length = after_keyword
            .find(['.', '['])
            .unwrap_or(after_keyword.len());
        if !is_identifier(&after_keyword[..name_length]) {
            return false;
        }
        rest = &after_keyword[name_length..];
        if rest.starts_with('[') {
            match instance_key_length(rest) {
                Some(length) => rest = &rest[length..],
                None => return false,
            }
        }
        if rest.is_empty() {
            return true;
        }
        match rest.strip_prefix('.') {
            Some(next) => rest = next,
            None => return false,
        }
    }
}

/// Length of a leading `[123]` or `["text"]` (with `\"` and `\\` escapes).
fn instance_key_length(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('[')?;
    if let Some(key_text) = inner.strip_prefix('"') {
        let mut escaped = false;
        for (position, character) in key_text.char_indices() {
            match (escaped, character) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => {
                    let after = &key_text[position + 1..];
                    return after.starts_with(']').then_some(2 + position + 1 + 1);
                }
                _ => {}
            }
        }
        None
    } else {
        let digits = inner.bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0 && inner[digits..].starts_with(']')).then_some(1 + digits + 1)
    }
}
