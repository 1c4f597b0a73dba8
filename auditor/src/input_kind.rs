//! What kind of Terraform JSON a document is, told from its top-level members
//! only: a plan, a refresh-only plan, a state file, a state as `terraform show
//! -json` prints it, or something else. Every reader asks it before reading
//! the document as what its command expects, so that a plan given where a
//! state is expected (or the other way round) is refused naming both.
//!
//! Terraform leaves out empty lists (`omitempty`): a member holding `null` or
//! `[]` counts as absent.

use serde_json::Value;

/// The kinds of document the commands read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InputKind {
    /// A plan (`terraform show -json PLANFILE`) with resource changes;
    /// `drift` when it has `resource_drift`.
    Plan { drift: bool },
    /// A plan with no resource changes: what `terraform plan -refresh-only`
    /// writes (with `resource_drift` when the refresh found drift).
    RefreshOnlyPlan,
    /// A state file in format v4 (`terraform state pull`, the backend's object).
    State,
    /// A state as `terraform show -json` prints it (`values`, no changes).
    ShownState,
    /// None of the above.
    #[default]
    Unknown,
}

impl InputKind {
    /// The kind of a document whose top-level members holding something
    /// (neither `null` nor `[]`) are `members`.
    pub fn from_members<'a>(members: impl IntoIterator<Item = &'a str>) -> InputKind {
        let mut has = [false; MEMBERS.len()];
        for member in members {
            if let Some(index) = MEMBERS.iter().position(|name| *name == member) {
                has[index] = true;
            }
        }
        let [format_version, planned_values, resource_changes, resource_drift, values, version, lineage, serial] =
            has;
        if format_version && planned_values {
            return match (resource_changes, resource_drift) {
                (true, drift) => InputKind::Plan { drift },
                (false, _) => InputKind::RefreshOnlyPlan,
            };
        }
        if format_version && values && !resource_changes {
            return InputKind::ShownState;
        }
        if version && (lineage || serial) && !format_version {
            return InputKind::State;
        }
        InputKind::Unknown
    }

    /// The kind of a parsed document (anything but an object is
    /// [`InputKind::Unknown`]).
    pub fn of_value(document: &Value) -> InputKind {
        match document.as_object() {
            Some(members) => InputKind::from_members(
                members
                    .iter()
                    .filter(|(_, value)| !is_omitted(value))
                    .map(|(name, _)| name.as_str()),
            ),
            None => InputKind::Unknown,
        }
    }

    /// Whether this is a plan of either kind.
    pub fn is_plan(self) -> bool {
        matches!(self, InputKind::Plan { .. } | InputKind::RefreshOnlyPlan)
    }

    /// What the document is, for messages (`this is …`).
    pub fn describe(self) -> &'static str {
        match self {
            InputKind::Plan { drift: false } => "a Terraform plan without `resource_drift`",
            InputKind::Plan { drift: true } => "a Terraform plan",
            InputKind::RefreshOnlyPlan => "a refresh-only Terraform plan",
            InputKind::State => "a Terraform state file (format v4)",
            InputKind::ShownState => "a Terraform state as `terraform show -json` prints it",
            InputKind::Unknown => "JSON that is neither a Terraform plan nor a state",
        }
    }
}

/// The members [`InputKind::from_members`] looks at, in the order it reads them.
const MEMBERS: [&str; 8] = [
    "format_version",
    "planned_values",
    "resource_changes",
    "resource_drift",
    "values",
    "version",
    "lineage",
    "serial",
];

/// Whether Terraform would have left a member with this value out.
fn is_omitted(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

/// What each command expects, for messages (`expected …`).
pub mod expected {
    /// `tfaudit plan`, `verify`.
    pub const PLAN: &str = "a plan: the output of `terraform show -json PLANFILE`";
    /// `tfaudit state`.
    pub const STATE: &str =
        "a state file in format v4 (the backend's object, or `terraform state pull`)";
    /// `tfaudit drift --refresh-plan`.
    pub const REFRESH_PLAN: &str = "a refresh-only plan or a plan with `resource_drift`: \
         run `terraform plan -refresh-only -out PLANFILE` and pass `terraform show -json PLANFILE`";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kinds_follow_the_top_level_members() {
        let cases = [
            (
                json!({"format_version": "1.2", "planned_values": {}, "resource_changes": [{}]}),
                InputKind::Plan { drift: false },
            ),
            (
                json!({"format_version": "1.2", "planned_values": {}, "resource_changes": [{}],
                       "resource_drift": [{}]}),
                InputKind::Plan { drift: true },
            ),
            (
                json!({"format_version": "1.2", "planned_values": {}, "resource_changes": [],
                       "resource_drift": [{}]}),
                InputKind::RefreshOnlyPlan,
            ),
            (
                json!({"format_version": "1.2", "planned_values": {}}),
                InputKind::RefreshOnlyPlan,
            ),
            (
                json!({"version": 4, "serial": 1, "lineage": "l", "resources": []}),
                InputKind::State,
            ),
            (
                json!({"version": 3, "serial": 1, "lineage": "l"}),
                InputKind::State,
            ),
            (
                json!({"format_version": "1.0", "terraform_version": "1.9.0", "values": {}}),
                InputKind::ShownState,
            ),
            (json!({}), InputKind::Unknown),
            (json!({"foo": 1}), InputKind::Unknown),
            (json!([1, 2]), InputKind::Unknown),
            (
                json!({"format_version": null, "planned_values": {}}),
                InputKind::Unknown,
            ),
        ];
        for (document, kind) in cases {
            assert_eq!(InputKind::of_value(&document), kind, "{document}");
        }
    }
}
