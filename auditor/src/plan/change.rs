//! One resource change (`resource_changes[]`) and one drifted resource
//! (`resource_drift[]`), compacted as they are read.
//!
//! Each change is reduced to a [`ResourceChange`] as soon as it is read.
//! Attribute values (`change.before` / `change.after`) are kept only for the
//! resource types the reader's [`Retention`] lists; for every other change
//! only the strings at sensitive paths survive, so they can be redacted: the
//! plan reader hands them to a [`SensitiveSink`] ([`ChangeReader`]), a change
//! deserialized on its own keeps them as [`SensitiveParts`].

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::action::{Action, ActionsProblem, KNOWN_ACTION_LISTS};
use super::fields::{parsed_kept, ActionList, Key, UnknownNames};
use super::mask::{collect_masked_raw, may_mark, Mask, SensitiveSink};
use super::names::{self, Name};
use super::retention::Retention;
use super::scanner::ReadBorrowed;

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
    /// `change.before`, only for types the [`Retention`] lists (what it keeps
    /// of them).
    pub before: Option<Box<Value>>,
    /// `change.after`, likewise.
    pub after: Option<Box<Value>>,
    /// The values that `before_sensitive` / `after_sensitive` mark, still
    /// unparsed, when the change is deserialized on its own. The plan reader
    /// leaves it empty: it hands masked values to its secret collector, which
    /// gathers them into [`Plan::sensitive_strings`](super::Plan).
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

/// Deserialized on its own, a change keeps what [`Retention::AUDIT`] says and
/// its [`SensitiveParts`].
impl<'de> Deserialize<'de> for ResourceChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawResourceChange::deserialize(deserializer)?;
        let sensitive = raw.change.sensitive_parts();
        ResourceChange::from_raw(raw, sensitive, &Retention::AUDIT)
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

/// Unparsed JSON text as it stands (`null` when absent).
fn json_text(raw: Option<&RawValue>) -> String {
    raw.map_or_else(|| "null".to_string(), |raw| raw.get().to_string())
}

impl<'a> RawChange<'a> {
    /// `before` and `after` with their masks, where both are present.
    fn values_with_masks(&self) -> impl Iterator<Item = (&'a RawValue, &'a RawValue)> {
        [
            (self.before, self.before_sensitive),
            (self.after, self.after_sensitive),
        ]
        .into_iter()
        .filter_map(|(value, mask)| Some((value?, mask?)))
    }

    fn sensitive_parts(&self) -> Option<Box<SensitiveParts>> {
        let parts: Vec<_> = self
            .values_with_masks()
            .filter(|(_, mask)| may_mark(mask.get()))
            .map(|(value, mask)| (value.to_owned(), Mask::parse(mask.get())))
            .filter(|(_, mask)| mask.marks_anything())
            .collect();
        (!parts.is_empty()).then(|| Box::new(SensitiveParts { parts }))
    }
}

/// Reads one element of `resource_changes` from borrowed JSON, keeping
/// what `retention` says and handing its masked values to `sink`.
pub struct ChangeReader<'s, S: SensitiveSink> {
    pub sink: &'s mut S,
    pub retention: &'s Retention,
}

impl<S: SensitiveSink> ReadBorrowed for ChangeReader<'_, S> {
    type Raw<'a> = RawResourceChange<'a>;
    type Output = Result<ResourceChange, InvalidActions>;
    fn finish(&mut self, raw: RawResourceChange<'_>) -> Result<ResourceChange, InvalidActions> {
        // The sink judges each mask (see [`SensitiveSink::masked`]).
        for (value, mask) in raw.change.values_with_masks() {
            self.sink.masked(value.get(), mask.get());
        }
        ResourceChange::from_raw(raw, None, self.retention)
    }
}

impl ResourceChange {
    fn from_raw(
        raw: RawResourceChange<'_>,
        sensitive: Option<Box<SensitiveParts>>,
        retention: &Retention,
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
        let kept = retention.kept(resource_type);
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
            before: kept.map(|kept| Box::new(parsed_kept(change.before, kept))),
            after: kept.map(|kept| Box::new(parsed_kept(change.after, kept))),
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
