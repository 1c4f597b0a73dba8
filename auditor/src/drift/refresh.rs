//! Drift from a refresh-only plan in JSON (`terraform show -json PLAN`): the
//! `resource_drift` entries, narrowed to `relevant_attributes` when the plan
//! lists any, minus the ignore list.
//!
//! Sensitive values are never shown, with the same protection as `tfaudit plan`:
//! a before or after value is printed as `(sensitive)` when a
//! `before_sensitive`/`after_sensitive` mask covers it, when it holds the value
//! of a sensitive variable or output (Terraform copies those into attributes it
//! does not mark), or when it looks like a secret (a private key, a well-known
//! token, a long high-entropy string; see [`crate::state::secrets`]). Every
//! message is then passed through the plan's [`Redactor`] as well.

use std::path::Path;

use serde_json::Value;

use super::ignore::IgnoreList;
use super::rules::{changed, missing};
use crate::error::InputError;
use crate::findings::Finding;
use crate::hcloud::kinds::key_path;
use crate::input_kind::{expected, InputKind};
use crate::plan::mask::{collect_all, collect_masked};
use crate::redact::{Redactor, REDACTED};
use crate::state::secrets;

/// What a refresh-only plan says.
#[derive(Debug, Default)]
pub struct RefreshDrift {
    pub findings: Vec<Finding>,
    /// Resources with drift in the plan (before filtering).
    pub drifted: usize,
}

/// Reads the plan JSON at `path`.
pub fn from_file(path: &Path, ignore: &IgnoreList) -> Result<RefreshDrift, InputError> {
    let bytes = std::fs::read(path).map_err(|source| InputError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes, path, ignore)
}

/// Reads a plan's JSON text; `origin` (a path or an `s3://` URL) names it in errors.
pub fn from_bytes(
    bytes: &[u8],
    origin: &Path,
    ignore: &IgnoreList,
) -> Result<RefreshDrift, InputError> {
    let plan: Value = serde_json::from_slice(bytes).map_err(|error| InputError::Json {
        file: origin.to_path_buf(),
        line: error.line(),
        column: error.column(),
        message: {
            let text = error.to_string();
            text.rfind(" at line ")
                .map(|end| text[..end].to_owned())
                .unwrap_or(text)
        },
    })?;
    check_kind(&plan, origin)?;
    from_plan(&plan, &origin.display().to_string(), ignore)
}

/// Refuses what is not a refresh-only plan or a plan with `resource_drift`:
/// a state, a plan of changes that says nothing of drift, other JSON. A
/// document with a `resource_drift` member is read whatever else it lacks.
fn check_kind(plan: &Value, path: &Path) -> Result<(), InputError> {
    let kind = InputKind::of_value(plan);
    let readable = match kind {
        InputKind::RefreshOnlyPlan | InputKind::Plan { drift: true } => true,
        InputKind::Unknown => plan.get("resource_drift").is_some(),
        InputKind::Plan { drift: false } | InputKind::State | InputKind::ShownState => false,
    };
    if readable {
        return Ok(());
    }
    Err(InputError::WrongKind {
        file: path.to_path_buf(),
        given: kind,
        expected: expected::REFRESH_PLAN,
    })
}

/// One relevant attribute: the resource address and the attribute path.
struct Relevant {
    resource: String,
    path: Vec<String>,
}

/// Drift from a parsed plan; `origin` names it in errors.
pub fn from_plan(
    plan: &Value,
    origin: &str,
    ignore: &IgnoreList,
) -> Result<RefreshDrift, InputError> {
    let field = |field: &str, expected: &str| InputError::Field {
        file: origin.into(),
        field: field.to_owned(),
        expected: format!("expected {expected}"),
    };
    if !plan.is_object() {
        return Err(field(
            "(top level)",
            "a JSON object from `terraform show -json PLAN`",
        ));
    }
    let drift = match plan.get("resource_drift") {
        None | Some(Value::Null) => return Ok(RefreshDrift::default()),
        Some(Value::Array(drift)) => drift,
        Some(_) => return Err(field("resource_drift", "an array")),
    };
    let relevant = match plan.get("relevant_attributes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let resource = item.get("resource").and_then(Value::as_str);
                let path = item.get("attribute").and_then(Value::as_array);
                match (resource, path) {
                    (Some(resource), Some(path)) => Ok(Relevant {
                        resource: resource.to_owned(),
                        path: path.iter().map(step_text).collect(),
                    }),
                    _ => Err(field(
                        &format!("relevant_attributes[{index}]"),
                        "an object with `resource` (string) and `attribute` (array)",
                    )),
                }
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(field("relevant_attributes", "an array")),
    };

    let redactor = sensitive_values(plan);
    let mut result = RefreshDrift::default();
    for (index, entry) in drift.iter().enumerate() {
        let at = |name: &str| format!("resource_drift[{index}].{name}");
        let address = entry
            .get("address")
            .and_then(Value::as_str)
            .ok_or_else(|| field(&at("address"), "a string"))?;
        let resource_type = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let change = entry
            .get("change")
            .ok_or_else(|| field(&at("change"), "an object"))?;
        let actions: Vec<&str> = change
            .get("actions")
            .and_then(Value::as_array)
            .ok_or_else(|| field(&at("change.actions"), "an array of strings"))?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        result.drifted += 1;
        if actions.contains(&"delete") {
            result.findings.push(missing::finding(
                address.to_owned(),
                "the refresh found no remote object",
            ));
            continue;
        }
        if !actions.contains(&"update") {
            continue;
        }
        let before = change.get("before").unwrap_or(&Value::Null);
        let after = change.get("after").unwrap_or(&Value::Null);
        let sensitive = [
            change.get("before_sensitive").unwrap_or(&Value::Null),
            change.get("after_sensitive").unwrap_or(&Value::Null),
        ];
        let mut leaves = Vec::new();
        diff(before, after, &mut Vec::new(), &mut leaves);
        let relevant_here: Vec<&Relevant> =
            relevant.iter().filter(|r| r.resource == address).collect();
        let changes: Vec<changed::Change> = leaves
            .into_iter()
            .filter(|path| {
                relevant.is_empty()
                    || relevant_here.iter().any(|r| {
                        let n = r.path.len().min(path.len());
                        r.path[..n] == path[..n]
                    })
            })
            .map(|path| {
                let attribute = render(&path);
                let hidden = sensitive.iter().any(|marks| is_sensitive(marks, &path))
                    || [before, after]
                        .iter()
                        .any(|value| holds_secret(lookup(value, &path), &redactor));
                let show = |value: &Value| {
                    if hidden {
                        REDACTED.to_owned()
                    } else {
                        display(lookup(value, &path))
                    }
                };
                changed::Change {
                    before: show(before),
                    after: show(after),
                    attribute,
                }
            })
            .filter(|change| !ignore.ignores(resource_type, &change.attribute))
            .collect();
        if !changes.is_empty() {
            result
                .findings
                .push(changed::finding(address.to_owned(), &changes));
        }
    }
    for finding in &mut result.findings {
        redactor.redact_finding(finding);
    }
    Ok(result)
}

/// The plan's sensitive strings: values of variables declared sensitive in the
/// root module, values under the `*_sensitive` masks of drift, changes and
/// outputs, and sensitive outputs of the prior state and planned values.
fn sensitive_values(plan: &Value) -> Redactor {
    let mut found = Vec::new();
    let declared = plan
        .pointer("/configuration/root_module/variables")
        .and_then(Value::as_object);
    for (name, declaration) in declared.into_iter().flatten() {
        if declaration.get("sensitive") == Some(&Value::Bool(true)) {
            if let Some(value) = plan.pointer(&format!("/variables/{}/value", escape(name))) {
                collect_all(value, &mut found);
            }
        }
    }
    let masked = |change: &Value, found: &mut Vec<String>| {
        for (value, mask) in [("before", "before_sensitive"), ("after", "after_sensitive")] {
            if let (Some(value), Some(mask)) = (change.get(value), change.get(mask)) {
                collect_masked(value, mask, found);
            }
        }
    };
    for list in ["resource_drift", "resource_changes"] {
        for entry in plan
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(change) = entry.get("change") {
                masked(change, &mut found);
            }
        }
    }
    if let Some(outputs) = plan.get("output_changes").and_then(Value::as_object) {
        for change in outputs.values() {
            masked(change, &mut found);
        }
    }
    for pointer in ["/prior_state/values/outputs", "/planned_values/outputs"] {
        let outputs = plan.pointer(pointer).and_then(Value::as_object);
        for output in outputs.into_iter().flatten().map(|(_, output)| output) {
            if output.get("sensitive") == Some(&Value::Bool(true)) {
                if let Some(value) = output.get("value") {
                    collect_all(value, &mut found);
                }
            }
        }
    }
    Redactor::from_values(found)
}

/// `name` as one JSON pointer step.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Whether `value`, or any string inside it, is a sensitive value of the plan
/// or looks like a secret.
fn holds_secret(value: &Value, redactor: &Redactor) -> bool {
    let mut strings = Vec::new();
    collect_all(value, &mut strings);
    strings.iter().any(|text| {
        redactor.is_sensitive(text)
            || redactor.redact(text) != *text
            || secrets::classify(text).is_some()
    })
}

fn step_text(step: &Value) -> String {
    match step {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        other => other.to_string(),
    }
}

/// Paths (as text steps) of every leaf that differs.
fn diff(before: &Value, after: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                path.push(key.clone());
                diff(
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    path,
                    out,
                );
                path.pop();
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                path.push(index.to_string());
                diff(x, y, path, out);
                path.pop();
            }
        }
        (a, b) if a != b => out.push(path.clone()),
        _ => {}
    }
}

fn lookup<'a>(value: &'a Value, path: &[String]) -> &'a Value {
    path.iter().fold(value, |current, step| {
        child(current, step).unwrap_or(&Value::Null)
    })
}

/// The member or element `step` names in an object or array.
fn child<'a>(value: &'a Value, step: &str) -> Option<&'a Value> {
    match value {
        Value::Object(map) => map.get(step),
        Value::Array(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    }
}

/// Whether a `*_sensitive` mask marks `path` (or anything above it) as sensitive.
fn is_sensitive(mask: &Value, path: &[String]) -> bool {
    let mut current = mask;
    for step in path {
        if current == &Value::Bool(true) {
            return true;
        }
        let Some(next) = child(current, step) else {
            return false;
        };
        current = next;
    }
    match current {
        Value::Bool(flag) => *flag,
        Value::Null => false,
        // A mask below the changed value: something inside it is sensitive.
        other => contains_true(other),
    }
}

fn contains_true(value: &Value) -> bool {
    match value {
        Value::Bool(flag) => *flag,
        Value::Array(items) => items.iter().any(contains_true),
        Value::Object(map) => map.values().any(contains_true),
        _ => false,
    }
}

/// `server_type`, `labels.role`, `rule[0].port`, `labels["hcloud/node"]`.
fn render(path: &[String]) -> String {
    let mut text = String::new();
    for step in path {
        if text.is_empty() {
            text.push_str(step);
        } else if step.parse::<usize>().is_ok() {
            text.push_str(&format!("[{step}]"));
        } else {
            text = key_path(&text, step);
        }
    }
    text
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => "(null)".into(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn sensitive_values_are_hidden() {
        let plan = json!({"resource_drift": [{
            "address": "hcloud_server.web", "type": "hcloud_server",
            "change": {"actions": ["update"],
                "before": {"user_data": "old-secret-value", "server_type": "cx22"},
                "after": {"user_data": "new-secret-value", "server_type": "cx32"},
                "before_sensitive": {"user_data": true}, "after_sensitive": {"user_data": true}}}]});
        let drift = from_plan(&plan, "plan.json", &IgnoreList::default()).unwrap();
        let message = &drift.findings[0].message;
        assert!(message.contains("server_type: cx22 -> cx32"), "{message}");
        assert!(
            message.contains("user_data: (sensitive) -> (sensitive)"),
            "{message}"
        );
        assert!(!message.contains("secret-value"), "{message}");
    }

    #[test]
    fn unmarked_secrets_and_sensitive_variables_are_hidden() {
        let token = "ghp_0123456789abcdefABCDEF0123456789abcd";
        let password = "correct-horse-battery";
        let plan = json!({
            "variables": {"db_password": {"value": password}},
            "configuration": {"root_module": {"variables": {"db_password": {"sensitive": true}}}},
            "resource_drift": [{
                "address": "hcloud_server.web", "type": "hcloud_server",
                "change": {"actions": ["update"],
                    "before": {"labels": {"token": "none", "db": "x"}, "image": "ubuntu-22.04"},
                    "after": {"labels": {"token": token, "db": format!("pw={password}")},
                        "image": "ubuntu-24.04"},
                    "before_sensitive": {}, "after_sensitive": {}}}]});
        let drift = from_plan(&plan, "plan.json", &IgnoreList::default()).unwrap();
        let message = &drift.findings[0].message;
        assert!(
            message.contains("labels.token: (sensitive) -> (sensitive)"),
            "{message}"
        );
        assert!(
            message.contains("labels.db: (sensitive) -> (sensitive)"),
            "{message}"
        );
        assert!(
            message.contains("image: ubuntu-22.04 -> ubuntu-24.04"),
            "{message}"
        );
        assert!(
            !message.contains(token) && !message.contains(password),
            "{message}"
        );
    }

    #[test]
    fn bad_shapes_name_the_field() {
        let plan = json!({"resource_drift": [{"address": "a.b"}]});
        let error = from_plan(&plan, "p.json", &IgnoreList::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("p.json") && error.contains("resource_drift[0].change"),
            "{error}"
        );
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            prop_oneof![
                Just("update"),
                Just("delete"),
                Just("a"),
                Just("0"),
                Just("")
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            let keys = prop_oneof![
                Just("address"),
                Just("type"),
                Just("change"),
                Just("actions"),
                Just("before"),
                Just("after"),
                Just("before_sensitive"),
                Just("after_sensitive"),
                Just("a"),
            ];
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                proptest::collection::btree_map(keys.prop_map(str::to_owned), inner, 0..5)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn never_panics(drift in proptest::collection::vec(any_json(), 0..4), relevant in any_json()) {
            let plan = json!({"resource_drift": drift, "relevant_attributes": relevant});
            let _ = from_plan(&plan, "fuzz", &IgnoreList::default());
        }
    }
}
