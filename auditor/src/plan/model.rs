//! The parts of Terraform's plan JSON (format 1.x) that the rules read.
//!
//! Deserialization keeps memory small: every field the rules do not use is
//! skipped with [`serde::de::IgnoredAny`] (serde's default for unknown fields),
//! and each resource change is reduced to a compact [`ResourceChange`] as soon
//! as it is read. Attribute values (`change.before` / `change.after`) are kept
//! only for the resource types a rule inspects ([`keeps_values`]); for every
//! other change only the strings at sensitive paths survive, so they can be
//! redacted.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::classify::{Action, ActionsProblem, KNOWN_ACTION_LISTS};
pub use super::configuration::{
    keeps_expressions, module_calls, ConfigModule, ConfigResource, Configuration, ModuleCall,
    ProviderConfig, VariableDeclaration,
};
use super::fields::{parsed_kept, ActionList, Key, UnknownNames};
pub use super::mask::{
    collect_all, collect_all_raw, collect_masked, collect_masked_raw, collect_masked_text,
    mask_has_true, Mask,
};
use super::names::{self, Name};

/// Resource types whose attribute values the rules read.
pub fn keeps_values(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "guardrail_change_gate" | "guardrail_blast_radius_budget" | "hcloud_firewall"
    )
}

/// The attributes kept of a type where [`keeps_values`] holds: `None` keeps
/// them all; of a firewall only its `rule` blocks (what the rules read), so
/// that large plans do not hold every firewall's full value tree.
pub fn kept_attributes(resource_type: &str) -> Option<&'static [&'static str]> {
    match resource_type {
        "hcloud_firewall" => Some(&["rule"]),
        _ => None,
    }
}

/// A plan, reduced to what the rules need.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Plan {
    #[serde(default)]
    pub format_version: Option<String>,
    #[serde(default)]
    pub terraform_version: Option<String>,
    /// When the plan was made (RFC 3339).
    #[serde(default)]
    pub timestamp: Option<String>,
    /// `false` when Terraform could not plan everything (deferred changes or errors).
    #[serde(default)]
    pub complete: Option<bool>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub errored: bool,
    #[serde(default)]
    pub applyable: Option<bool>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource_changes: Vec<ResourceChange>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource_drift: Vec<DriftChange>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub relevant_attributes: Vec<RelevantAttribute>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub output_changes: BTreeMap<String, OutputChange>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub variables: BTreeMap<String, VariableValue>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub configuration: Configuration,
    #[serde(default, deserialize_with = "null_as_default")]
    pub deferred_changes: Vec<DeferredChange>,
    /// Present in every plan (possibly empty); used to tell a plan from a state file.
    #[serde(default)]
    pub planned_values: Option<serde::de::IgnoredAny>,
    /// Sensitive strings of all resource changes, gathered (and deduplicated)
    /// while streaming instead of being kept per change.
    #[serde(skip)]
    pub sensitive_strings: std::collections::BTreeSet<String>,
}

pub(super) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// One entry of `resource_changes`, compacted: names that repeat across
/// changes are shared ([`Name`]), rare members are boxed.
///
/// It deserializes from borrowed JSON (`serde_json::from_slice` or
/// `from_str`): `change.before` and `change.after` are looked at in place.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub address: Box<str>,
    pub module_address: Name,
    pub mode: Mode,
    pub resource_type: Name,
    pub provider_name: Name,
    /// `change.actions`, classified.
    pub action: Action,
    pub action_reason: Option<Name>,
    pub previous_address: Option<Box<str>>,
    pub deposed: Option<Box<str>>,
    /// `change.importing.id` (or an empty string when importing without an id).
    pub importing: Option<Box<str>>,
    /// `change.replace_paths`, each a list of attribute names and indexes.
    pub replace_paths: Vec<Vec<Value>>,
    /// Top-level attribute names whose planned value is unknown until apply.
    pub unknown_attributes: Vec<Name>,
    /// `change.before`, only for types where [`keeps_values`] holds (their
    /// [`kept_attributes`]).
    pub before: Option<Box<Value>>,
    /// `change.after`, only for types where [`keeps_values`] holds (their
    /// [`kept_attributes`]).
    pub after: Option<Box<Value>>,
    /// The values that `before_sensitive` / `after_sensitive` mark, still
    /// unparsed: their strings are collected by whoever takes them (the plan
    /// reader does so on a thread of its own).
    pub sensitive: Option<Box<SensitiveParts>>,
}

/// A resource's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Managed,
    /// A data source (`mode` is `data`).
    Data,
}

/// The parts of a change's `before` and `after` that its masks mark
/// sensitive, as unparsed JSON with the masks.
#[derive(Debug, Clone)]
pub struct SensitiveParts {
    parts: Vec<(Box<RawValue>, Mask)>,
}

impl SensitiveParts {
    /// Every string (and number, as text) at the sensitive paths.
    pub fn collect(&self, found: &mut Vec<String>) {
        for (raw, mask) in &self.parts {
            collect_masked_raw(raw, mask, found);
        }
    }

    /// [`SensitiveParts::collect`], sorted and without repeats.
    pub fn strings(&self) -> Vec<String> {
        let mut found = Vec::new();
        self.collect(&mut found);
        found.sort();
        found.dedup();
        found
    }
}

impl PartialEq for SensitiveParts {
    fn eq(&self, other: &Self) -> bool {
        self.parts.len() == other.parts.len()
            && self
                .parts
                .iter()
                .zip(&other.parts)
                .all(|((raw, mask), (other_raw, other_mask))| {
                    raw.get() == other_raw.get() && mask == other_mask
                })
    }
}

impl ResourceChange {
    pub fn is_managed(&self) -> bool {
        self.mode == Mode::Managed
    }
}

impl<'de> Deserialize<'de> for ResourceChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawResourceChange::deserialize(deserializer)?;
        ResourceChange::try_from(raw)
            .map_err(|invalid| serde::de::Error::custom(invalid.message("change.actions")))
    }
}

/// A resource change whose `change.actions` is no list Terraform writes: it
/// cannot be counted or judged, so the plan is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidActions {
    pub address: Box<str>,
    pub problem: ActionsProblem,
}

impl InvalidActions {
    /// What is wrong, for the error about `field` (the path of `actions`).
    pub fn message(&self, field: &str) -> String {
        let change = if self.address.is_empty() {
            "a change without an address".to_string()
        } else {
            format!("`{}`", self.address)
        };
        format!(
            "field `{field}` of {change}: {}; expected one of {KNOWN_ACTION_LISTS}",
            self.problem
        )
    }
}

/// One entry of `resource_drift`: values are kept, as JSON text, to find
/// changed attributes; they are parsed only when a rule asks.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftChange {
    pub address: String,
    pub module_address: String,
    pub resource_type: String,
    pub action: Action,
    before: String,
    after: String,
    pub sensitive_strings: Vec<String>,
}

impl DriftChange {
    /// `change.before` (`null` when absent).
    pub fn before(&self) -> Value {
        serde_json::from_str(&self.before).unwrap_or(Value::Null)
    }

    /// `change.after` (`null` when absent).
    pub fn after(&self) -> Value {
        serde_json::from_str(&self.after).unwrap_or(Value::Null)
    }

    /// Whether `change.after` is `null` or absent (the object is gone).
    pub fn after_is_null(&self) -> bool {
        self.after == "null"
    }
}

impl<'de> Deserialize<'de> for DriftChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawResourceChange::deserialize(deserializer).map(DriftChange::from)
    }
}

/// An element of `resource_changes` (or `resource_drift`) as it is read,
/// borrowing from the input.
#[derive(Debug, Deserialize)]
pub struct RawResourceChange<'a> {
    #[serde(default, borrow)]
    address: Key<'a>,
    #[serde(default, borrow)]
    module_address: Option<Key<'a>>,
    #[serde(default, borrow)]
    mode: Option<Key<'a>>,
    #[serde(default, borrow, rename = "type")]
    resource_type: Key<'a>,
    #[serde(default, borrow)]
    provider_name: Option<Key<'a>>,
    #[serde(default, borrow)]
    action_reason: Option<Key<'a>>,
    #[serde(default, borrow)]
    previous_address: Option<Key<'a>>,
    #[serde(default, borrow)]
    deposed: Option<Key<'a>>,
    #[serde(default, borrow)]
    change: RawChange<'a>,
}

/// `before` and `after` stay unparsed JSON text (borrowed from the input)
/// until a rule or the redactor needs them: most changes never build a
/// `Value` tree.
#[derive(Debug, Default, Deserialize)]
pub struct RawChange<'a> {
    #[serde(default)]
    actions: ActionList,
    #[serde(default, borrow)]
    before: Option<&'a RawValue>,
    #[serde(default, borrow)]
    after: Option<&'a RawValue>,
    #[serde(default)]
    after_unknown: UnknownNames,
    /// Masks stay text: most mark nothing and need no parse.
    #[serde(default, borrow)]
    before_sensitive: Option<&'a RawValue>,
    #[serde(default, borrow)]
    after_sensitive: Option<&'a RawValue>,
    #[serde(default)]
    replace_paths: Option<Vec<Vec<Value>>>,
    #[serde(default, borrow)]
    importing: Option<Importing<'a>>,
}

#[derive(Debug, Default, Deserialize)]
struct Importing<'a> {
    #[serde(default, borrow)]
    id: Option<Key<'a>>,
}

/// Parses unparsed JSON text that the JSON parser already accepted.
pub(super) fn parsed(raw: Option<&RawValue>) -> Value {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or(Value::Null)
}

/// Unparsed JSON text as it stands (`null` when absent).
fn json_text(raw: Option<&RawValue>) -> String {
    raw.map_or_else(|| "null".to_string(), |raw| raw.get().to_string())
}

impl<'a> RawChange<'a> {
    /// `before` and `after` with their masks, where the mask may mark
    /// something (its text has a `true`).
    fn masked_values(&self) -> impl Iterator<Item = (&'a RawValue, &'a RawValue)> {
        [
            (self.before, self.before_sensitive),
            (self.after, self.after_sensitive),
        ]
        .into_iter()
        .filter_map(|(value, mask)| Some((value?, mask?)))
        .filter(|(_, mask)| memchr::memmem::find(mask.get().as_bytes(), b"true").is_some())
    }

    fn sensitive_parts(&self) -> Option<Box<SensitiveParts>> {
        let parts: Vec<_> = self
            .masked_values()
            .map(|(value, mask)| (value.to_owned(), Mask::parse(mask.get())))
            .filter(|(_, mask)| mask.marks_anything())
            .collect();
        (!parts.is_empty()).then(|| Box::new(SensitiveParts { parts }))
    }
}

/// Takes the masked values of changes as the plan reader reads them, instead
/// of each change keeping [`SensitiveParts`].
pub trait SensitiveSink {
    /// `value` with its mask `mask` (both JSON text the parser accepted).
    fn add(&mut self, value: &RawValue, mask: &RawValue);
}

/// Reads one element of `resource_changes` from borrowed JSON, handing its
/// masked values to a [`SensitiveSink`].
pub struct ChangeReader<'s, S: SensitiveSink> {
    pub sink: &'s mut S,
}

impl<S: SensitiveSink> super::stream::ReadBorrowed for ChangeReader<'_, S> {
    type Raw<'a> = RawResourceChange<'a>;
    type Output = Result<ResourceChange, InvalidActions>;
    fn finish(&mut self, raw: RawResourceChange<'_>) -> Result<ResourceChange, InvalidActions> {
        for (value, mask) in raw.change.masked_values() {
            self.sink.add(value, mask);
        }
        ResourceChange::from_raw(raw, None)
    }
}

impl TryFrom<RawResourceChange<'_>> for ResourceChange {
    type Error = InvalidActions;
    fn try_from(raw: RawResourceChange<'_>) -> Result<Self, InvalidActions> {
        let sensitive = raw.change.sensitive_parts();
        ResourceChange::from_raw(raw, sensitive)
    }
}

impl ResourceChange {
    fn from_raw(
        raw: RawResourceChange<'_>,
        sensitive: Option<Box<SensitiveParts>>,
    ) -> Result<Self, InvalidActions> {
        let action = match raw.change.actions.0 {
            Ok(action) => action,
            Err(ref problem) => {
                return Err(InvalidActions {
                    address: raw.address.0.as_ref().into(),
                    problem: problem.clone(),
                })
            }
        };
        let resource_type: &str = &raw.resource_type.0;
        let keep = keeps_values(resource_type);
        let change = raw.change;
        let boxed = |key: Key| Box::<str>::from(key.0.as_ref());
        Ok(ResourceChange {
            action,
            module_address: names::name(raw.module_address.as_ref().map_or("", |key| &key.0)),
            mode: match raw.mode {
                Some(Key(mode)) if mode == "data" => Mode::Data,
                _ => Mode::Managed,
            },
            provider_name: names::name(raw.provider_name.as_ref().map_or("", |key| &key.0)),
            action_reason: raw.action_reason.map(|Key(reason)| names::name(&reason)),
            previous_address: raw.previous_address.map(boxed),
            deposed: raw.deposed.map(boxed),
            importing: change
                .importing
                .map(|importing| importing.id.map(boxed).unwrap_or_default()),
            replace_paths: change.replace_paths.unwrap_or_default(),
            unknown_attributes: change.after_unknown.0,
            before: keep.then(|| Box::new(parsed_kept(change.before, resource_type))),
            after: keep.then(|| Box::new(parsed_kept(change.after, resource_type))),
            sensitive,
            address: boxed(raw.address),
            resource_type: names::name(resource_type),
        })
    }
}

impl From<RawResourceChange<'_>> for DriftChange {
    fn from(raw: RawResourceChange<'_>) -> Self {
        let sensitive_strings = raw
            .change
            .sensitive_parts()
            .map(|parts| parts.strings())
            .unwrap_or_default();
        DriftChange {
            // Drift is judged by its values: a list Terraform does not write
            // reads as an unknown action.
            action: raw.change.actions.0.unwrap_or(Action::Unknown),
            address: raw.address.0.into_owned(),
            module_address: raw
                .module_address
                .map(|Key(module)| module.into_owned())
                .unwrap_or_default(),
            resource_type: raw.resource_type.0.into_owned(),
            before: json_text(raw.change.before),
            after: json_text(raw.change.after),
            sensitive_strings,
        }
    }
}

/// One `relevant_attributes` entry: a drifted attribute the plan depends on.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RelevantAttribute {
    #[serde(default)]
    pub resource: String,
    #[serde(default)]
    pub attribute: Vec<Value>,
}

/// One `output_changes` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct OutputChange {
    #[serde(default)]
    pub actions: Vec<String>,
    #[serde(default)]
    pub after: Value,
    #[serde(default)]
    pub before: Value,
    #[serde(default)]
    pub after_unknown: Value,
    #[serde(default)]
    pub after_sensitive: Value,
    #[serde(default)]
    pub before_sensitive: Value,
}

impl OutputChange {
    /// Whether Terraform marks the planned value sensitive (wholly or in part).
    pub fn is_sensitive(&self) -> bool {
        mask_has_true(&self.after_sensitive)
    }
}

/// One `variables` entry (values of sensitive variables appear in clear).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct VariableValue {
    #[serde(default)]
    pub value: Value,
}

/// One `deferred_changes` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeferredChange {
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub resource_change: Option<DeferredResource>,
}

/// The address of a deferred resource change.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeferredResource {
    #[serde(default)]
    pub address: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_without_true_mark_nothing() {
        let change: ResourceChange = serde_json::from_str(
            r#"{"address": "x.y", "type": "x", "change": {"actions": ["update"],
                "before": {"k": "open"}, "after": {"k": "hidden", "t": "true"},
                "before_sensitive": {"true": false}, "after_sensitive": {"k": true}}}"#,
        )
        .unwrap();
        assert_eq!(change.sensitive.unwrap().strings(), vec!["hidden"]);
    }
}
