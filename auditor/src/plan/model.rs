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

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::classify::Action;
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

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
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
        RawResourceChange::deserialize(deserializer).map(ResourceChange::from)
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

/// `change.actions`, classified as it is read (no strings kept).
#[derive(Debug, Default)]
struct ActionList(Action);

impl<'de> Deserialize<'de> for ActionList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Actions;
        impl<'de> Visitor<'de> for Actions {
            type Value = ActionList;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a list of actions")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ActionList, A::Error> {
                let mut names: Vec<Key<'de>> = Vec::new();
                while let Some(Key(name)) = seq.next_element::<Key>()? {
                    // Three or more actions are no known combination.
                    if names.len() < 3 {
                        names.push(Key(name));
                    }
                }
                let names: Vec<&str> = names.iter().map(|Key(name)| name.as_ref()).collect();
                Ok(ActionList(Action::from_actions(&names)))
            }
            fn visit_unit<E>(self) -> Result<ActionList, E> {
                Ok(ActionList::default())
            }
            fn visit_none<E>(self) -> Result<ActionList, E> {
                Ok(ActionList::default())
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<ActionList, D::Error> {
                deserializer.deserialize_any(self)
            }
        }
        deserializer.deserialize_any(Actions)
    }
}

/// Parses unparsed JSON text that the JSON parser already accepted.
fn parsed(raw: Option<&RawValue>) -> Value {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or(Value::Null)
}

/// Unparsed JSON text as it stands (`null` when absent).
fn json_text(raw: Option<&RawValue>) -> String {
    raw.map_or_else(|| "null".to_string(), |raw| raw.get().to_string())
}

/// [`parsed`], keeping only the [`kept_attributes`] of `resource_type`: the
/// other attributes are skipped, never built.
fn parsed_kept(raw: Option<&RawValue>, resource_type: &str) -> Value {
    let (Some(names), Some(raw)) = (kept_attributes(resource_type), raw) else {
        return parsed(raw);
    };
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    KeptAttributes(names)
        .deserialize(&mut deserializer)
        .unwrap_or(Value::Null)
}

/// An object reduced to the named attributes (anything else reads as it is).
struct KeptAttributes(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for KeptAttributes {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeptAttributes {
    type Value = Value;
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an object of attributes")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut kept = serde_json::Map::new();
        while let Some(Key(name)) = map.next_key::<Key>()? {
            if self.0.contains(&name.as_ref()) {
                kept.insert(name.into_owned(), map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(Value::Object(kept))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
    }
    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }
    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(value.into())
    }
    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(value.into())
    }
    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
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
            .map(|(value, mask)| (value.to_owned(), parsed_mask(mask.get())))
            .filter(|(_, mask)| mask.marks_anything())
            .collect();
        (!parts.is_empty()).then(|| Box::new(SensitiveParts { parts }))
    }
}

/// A mask from JSON text the parser already accepted.
pub fn parsed_mask(mask: &str) -> Mask {
    serde_json::from_str(mask).unwrap_or_default()
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
    type Output = ResourceChange;
    fn finish(&mut self, raw: RawResourceChange<'_>) -> ResourceChange {
        for (value, mask) in raw.change.masked_values() {
            self.sink.add(value, mask);
        }
        ResourceChange::from_raw(raw, None)
    }
}

impl From<RawResourceChange<'_>> for ResourceChange {
    fn from(raw: RawResourceChange<'_>) -> Self {
        let sensitive = raw.change.sensitive_parts();
        ResourceChange::from_raw(raw, sensitive)
    }
}

impl ResourceChange {
    fn from_raw(raw: RawResourceChange<'_>, sensitive: Option<Box<SensitiveParts>>) -> Self {
        let resource_type: &str = &raw.resource_type.0;
        let keep = keeps_values(resource_type);
        let change = raw.change;
        let boxed = |key: Key| Box::<str>::from(key.0.as_ref());
        ResourceChange {
            action: change.actions.0,
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
        }
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
            action: raw.change.actions.0,
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

/// The top-level names of an `after_unknown` object whose value is `true`
/// (sorted, as a `serde_json::Map` would give them); nothing for any other
/// value. Read without building a `Value`.
#[derive(Debug, Default)]
struct UnknownNames(Vec<Name>);

impl<'de> Deserialize<'de> for UnknownNames {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = UnknownNames;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("an after_unknown value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UnknownNames, A::Error> {
                // The last of duplicate names wins, as in a `serde_json::Map`;
                // only names marked `true` are allocated.
                let mut names: Vec<Name> = Vec::new();
                while let Some(Key(name)) = map.next_key::<Key>()? {
                    let unknown = map.next_value::<IsTrue>()?.0;
                    match names.iter().position(|known| **known == *name) {
                        Some(at) if !unknown => {
                            names.remove(at);
                        }
                        None if unknown => names.push(names::name(&name)),
                        _ => {}
                    }
                }
                names.sort();
                Ok(UnknownNames(names))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UnknownNames, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(UnknownNames::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<UnknownNames, E> {
                Ok(UnknownNames::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<UnknownNames, E> {
                Ok(UnknownNames::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<UnknownNames, E> {
                Ok(UnknownNames::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<UnknownNames, E> {
                Ok(UnknownNames::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<UnknownNames, E> {
                Ok(UnknownNames::default())
            }
            fn visit_unit<E>(self) -> Result<UnknownNames, E> {
                Ok(UnknownNames::default())
            }
            fn visit_none<E>(self) -> Result<UnknownNames, E> {
                Ok(UnknownNames::default())
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<UnknownNames, D::Error> {
                deserializer.deserialize_any(self)
            }
        }
        deserializer.deserialize_any(Names)
    }
}

/// A member name or short string, borrowed from the input when it has no escapes.
#[derive(Debug, Default)]
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Key<'a>, E> {
                Ok(Key(std::borrow::Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Key<'a>, E> {
                Ok(Key(std::borrow::Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(KeyVisitor(std::marker::PhantomData))
    }
}

/// Whether a JSON value is exactly `true` (anything else is skipped).
struct IsTrue(bool);

impl<'de> Deserialize<'de> for IsTrue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(Scalars {
            found: &mut Vec::new(),
            collect: false,
        })?;
        Ok(IsTrue(value == Some(true)))
    }
}

/// The parts of a sensitivity mask (`before_sensitive`, `after_sensitive`,
/// `sensitive_values`) that are `true`, read without building a `Value`: only
/// branches leading to a `true` are kept, so most masks allocate nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Mask {
    /// Nothing below is sensitive.
    #[default]
    Nothing,
    /// Everything below is sensitive.
    Whole,
    /// Object members with something sensitive below them.
    Fields(Vec<(String, Mask)>),
    /// Array elements (by index, ascending) with something sensitive below them.
    Items(Vec<(usize, Mask)>),
}

impl Mask {
    pub fn marks_anything(&self) -> bool {
        !matches!(self, Mask::Nothing)
    }

    /// The mask of object member `name` (the first, when a mask repeats a name).
    fn field(&self, name: &str) -> Option<&Mask> {
        match self {
            Mask::Fields(fields) => fields
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, mask)| mask),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Mask {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MaskVisitor;
        impl<'de> Visitor<'de> for MaskVisitor {
            type Value = Mask;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a sensitivity mask")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Mask, A::Error> {
                let mut fields = Vec::new();
                while let Some(Key(name)) = map.next_key::<Key>()? {
                    let mask = map.next_value::<Mask>()?;
                    if mask.marks_anything() {
                        fields.push((name.into_owned(), mask));
                    }
                }
                Ok(if fields.is_empty() {
                    Mask::Nothing
                } else {
                    Mask::Fields(fields)
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Mask, A::Error> {
                let mut items = Vec::new();
                let mut index = 0;
                while let Some(mask) = seq.next_element::<Mask>()? {
                    if mask.marks_anything() {
                        items.push((index, mask));
                    }
                    index += 1;
                }
                Ok(if items.is_empty() {
                    Mask::Nothing
                } else {
                    Mask::Items(items)
                })
            }
            fn visit_bool<E>(self, value: bool) -> Result<Mask, E> {
                Ok(if value { Mask::Whole } else { Mask::Nothing })
            }
            fn visit_i64<E>(self, _: i64) -> Result<Mask, E> {
                Ok(Mask::Nothing)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Mask, E> {
                Ok(Mask::Nothing)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Mask, E> {
                Ok(Mask::Nothing)
            }
            fn visit_str<E>(self, _: &str) -> Result<Mask, E> {
                Ok(Mask::Nothing)
            }
            fn visit_unit<E>(self) -> Result<Mask, E> {
                Ok(Mask::Nothing)
            }
            fn visit_none<E>(self) -> Result<Mask, E> {
                Ok(Mask::Nothing)
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                deserializer: D,
            ) -> Result<Mask, D::Error> {
                deserializer.deserialize_any(self)
            }
        }
        deserializer.deserialize_any(MaskVisitor)
    }
}

/// Collects the strings of unparsed JSON `raw` under the sensitive parts of
/// `mask`, like [`collect_masked`] on the parsed value, without parsing the
/// parts the mask does not cover into a tree.
pub fn collect_masked_raw(raw: &RawValue, mask: &Mask, found: &mut Vec<String>) {
    collect_masked_text(raw.get(), mask, found);
}

/// [`collect_masked_raw`] on JSON text.
pub fn collect_masked_text(text: &str, mask: &Mask, found: &mut Vec<String>) {
    let before = found.len();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let walked = Masked { mask, found }.deserialize(&mut deserializer);
    if walked.is_err() {
        // Nested deeper than serde_json follows (or not JSON at all): no
        // string of the value may be left out, so every one counts.
        found.truncate(before);
        collect_every_scalar(text, found);
    }
}

/// Every string (member names too) and number in JSON text, found without
/// following its nesting.
fn collect_every_scalar(text: &str, found: &mut Vec<String>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                let mut end = at + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let token = text.get(at..=end.min(bytes.len() - 1)).unwrap_or_default();
                found.push(serde_json::from_str(token).unwrap_or_else(|_| token.to_string()));
                at = end + 1;
            }
            b'-' | b'0'..=b'9' => {
                let end = bytes[at..]
                    .iter()
                    .position(|byte| {
                        !matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    })
                    .map_or(bytes.len(), |length| at + length);
                found.push(text[at..end].to_string());
                at = end;
            }
            _ => at += 1,
        }
    }
}

/// Collects every string and number of unparsed JSON `raw`.
pub fn collect_all_raw(raw: &RawValue, found: &mut Vec<String>) {
    collect_masked_raw(raw, &Mask::Whole, found);
}

/// Walks a value under a mask: [`Mask::Whole`] collects everything below.
struct Masked<'m, 'f> {
    mask: &'m Mask,
    found: &'f mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Masked<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.mask {
            Mask::Whole => deserializer
                .deserialize_any(Scalars {
                    found: self.found,
                    collect: true,
                })
                .map(|_| ()),
            Mask::Fields(_) | Mask::Items(_) => deserializer.deserialize_any(self),
            Mask::Nothing => IgnoredAny::deserialize(deserializer).map(|_| ()),
        }
    }
}

impl<'de> Visitor<'de> for Masked<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Key(name)) = map.next_key::<Key>()? {
            match self.mask.field(&name) {
                Some(mask) => map.next_value_seed(Masked {
                    mask,
                    found: &mut *self.found,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Mask::Items(items) = self.mask else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        let mut items = items.iter().peekable();
        let mut index = 0;
        loop {
            let more = match items.next_if(|(at, _)| *at == index) {
                Some((_, mask)) => seq
                    .next_element_seed(Masked {
                        mask,
                        found: &mut *self.found,
                    })?
                    .is_some(),
                None => seq.next_element::<IgnoredAny>()?.is_some(),
            };
            if !more {
                return Ok(());
            }
            index += 1;
        }
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Visits any value: with `collect`, pushes every string and number (as
/// [`collect_all`] does); gives the value when it is a boolean.
struct Scalars<'f> {
    found: &'f mut Vec<String>,
    collect: bool,
}

impl<'de> Visitor<'de> for Scalars<'_> {
    type Value = Option<bool>;
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<bool>, A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value_seed(ScalarSeed {
                found: &mut *self.found,
                collect: self.collect,
            })?;
        }
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<bool>, A::Error> {
        while seq
            .next_element_seed(ScalarSeed {
                found: &mut *self.found,
                collect: self.collect,
            })?
            .is_some()
        {}
        Ok(None)
    }
    fn visit_bool<E>(self, value: bool) -> Result<Option<bool>, E> {
        Ok(Some(value))
    }
    fn visit_i64<E>(self, value: i64) -> Result<Option<bool>, E> {
        if self.collect {
            self.found.push(serde_json::Number::from(value).to_string());
        }
        Ok(None)
    }
    fn visit_u64<E>(self, value: u64) -> Result<Option<bool>, E> {
        if self.collect {
            self.found.push(serde_json::Number::from(value).to_string());
        }
        Ok(None)
    }
    fn visit_f64<E>(self, value: f64) -> Result<Option<bool>, E> {
        if self.collect {
            if let Some(number) = serde_json::Number::from_f64(value) {
                self.found.push(number.to_string());
            }
        }
        Ok(None)
    }
    fn visit_str<E>(self, value: &str) -> Result<Option<bool>, E> {
        if self.collect {
            self.found.push(value.to_owned());
        }
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Option<bool>, E> {
        Ok(None)
    }
}

struct ScalarSeed<'f> {
    found: &'f mut Vec<String>,
    collect: bool,
}

impl<'de> DeserializeSeed<'de> for ScalarSeed<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer
            .deserialize_any(Scalars {
                found: self.found,
                collect: self.collect,
            })
            .map(|_| ())
    }
}

/// Collects every string (and number, as text) of `value` under the parts of
/// a `*_sensitive` mask that are `true`.
pub fn collect_masked(value: &Value, mask: &Value, found: &mut Vec<String>) {
    match mask {
        Value::Bool(true) => collect_all(value, found),
        Value::Object(mask_map) => {
            if let Value::Object(values) = value {
                for (key, sub_mask) in mask_map {
                    if let Some(sub_value) = values.get(key) {
                        collect_masked(sub_value, sub_mask, found);
                    }
                }
            }
        }
        Value::Array(masks) => {
            if let Value::Array(values) = value {
                for (sub_value, sub_mask) in values.iter().zip(masks) {
                    collect_masked(sub_value, sub_mask, found);
                }
            }
        }
        _ => {}
    }
}

/// Collects every string and number of `value`.
pub fn collect_all(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::String(text) => found.push(text.clone()),
        Value::Number(number) => found.push(number.to_string()),
        Value::Array(items) => items.iter().for_each(|item| collect_all(item, found)),
        Value::Object(map) => map.values().for_each(|item| collect_all(item, found)),
        Value::Null | Value::Bool(_) => {}
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

/// Whether any part of a sensitivity mask is `true`.
pub fn mask_has_true(mask: &Value) -> bool {
    match mask {
        Value::Bool(flag) => *flag,
        Value::Array(items) => items.iter().any(mask_has_true),
        Value::Object(map) => map.values().any(mask_has_true),
        _ => false,
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

/// The `configuration` object: provider configs and the module tree.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Configuration {
    #[serde(default, deserialize_with = "null_as_default")]
    pub provider_config: BTreeMap<String, ProviderConfig>,
    #[serde(default)]
    pub root_module: ConfigModule,
}

/// One `configuration.provider_config` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ProviderConfig {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub module_address: Option<String>,
    /// Attribute expressions: `{ "now": { "constant_value": ... } }` or references.
    #[serde(default)]
    pub expressions: Value,
}

/// A module of the configuration tree.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ConfigModule {
    #[serde(default, deserialize_with = "null_as_default")]
    pub variables: BTreeMap<String, VariableDeclaration>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resources: Vec<ConfigResource>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub module_calls: BTreeMap<String, ModuleCall>,
}

/// A `variable` block.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct VariableDeclaration {
    #[serde(default)]
    pub sensitive: bool,
    /// The declared `default`, if any.
    #[serde(default)]
    pub default: Option<Value>,
}

/// A `resource` block; expressions are kept only where [`keeps_expressions`]
/// holds (and never built for other blocks).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigResource {
    pub address: String,
    pub resource_type: String,
    pub expressions: Value,
}

/// Resource types whose configured expressions the rules read.
pub fn keeps_expressions(resource_type: &str) -> bool {
    matches!(
        resource_type,
        "guardrail_change_gate" | "guardrail_blast_radius_budget"
    )
}

#[derive(Debug, Deserialize)]
struct RawConfigResource<'a> {
    #[serde(default)]
    address: String,
    #[serde(default, rename = "type")]
    resource_type: String,
    #[serde(default, borrow)]
    expressions: Option<&'a RawValue>,
}

impl<'de> Deserialize<'de> for ConfigResource {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfigResource::deserialize(deserializer)?;
        let expressions = if keeps_expressions(&raw.resource_type) {
            parsed(raw.expressions)
        } else {
            Value::Null
        };
        Ok(ConfigResource {
            address: raw.address,
            resource_type: raw.resource_type,
            expressions,
        })
    }
}

/// A `module` block and the module it calls.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ModuleCall {
    /// The call's arguments: `{"name": {"constant_value": ...}}` or references.
    #[serde(default)]
    pub expressions: Value,
    #[serde(default)]
    pub module: ConfigModule,
}

/// The module calls on the way to the module at `module_address`
/// (`module.a["x"].module.b` -> `["a", "b"]`; empty for the root module).
pub fn module_calls(module_address: &str) -> Vec<&str> {
    let mut segments = split_module_path(module_address);
    segments.pop();
    segments
}

impl Configuration {
    /// The module reached through `calls` from the root module.
    pub fn module_at(&self, calls: &[&str]) -> Option<&ConfigModule> {
        calls.iter().try_fold(&self.root_module, |module, call| {
            module.module_calls.get(*call).map(|call| &call.module)
        })
    }

    /// The expressions of the resource block behind `address` (instance keys
    /// and module instance keys stripped), searching the module tree.
    pub fn resource_expressions(&self, address: &str) -> Option<&Value> {
        let mut module = &self.root_module;
        let mut segments = split_module_path(address);
        let resource = segments.pop()?;
        for call in segments {
            module = &module.module_calls.get(call)?.module;
        }
        let resource = strip_instance_key(resource);
        module
            .resources
            .iter()
            .find(|block| block.address == resource)
            .map(|block| &block.expressions)
    }
}

/// `module.a["x"].module.b[0].t.n[1]` -> `["a", "b", "t.n[1]"]`.
fn split_module_path(address: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = address;
    while let Some(after) = rest.strip_prefix("module.") {
        let name_end = after.find(['.', '[']).unwrap_or(after.len());
        parts.push(&after[..name_end]);
        let mut tail = &after[name_end..];
        if tail.starts_with('[') {
            tail = skip_instance_key(tail);
        }
        rest = tail.strip_prefix('.').unwrap_or(tail);
    }
    parts.push(rest);
    parts
}

/// Skips a leading `[...]` (quoted keys may hold `]`).
fn skip_instance_key(text: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (position, character) in text.char_indices() {
        match (in_string, escaped, character) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, ']') => return &text[position + 1..],
            _ => {}
        }
    }
    ""
}

fn strip_instance_key(resource: &str) -> &str {
    match resource.find('[') {
        Some(position) => &resource[..position],
        None => resource,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_paths_split_into_calls_and_resource() {
        assert_eq!(
            split_module_path(r#"module.a["x.]"].module.b[0].t.n[1]"#),
            vec!["a", "b", "t.n[1]"]
        );
        assert_eq!(split_module_path("t.n"), vec!["t.n"]);
    }

    #[test]
    fn unknown_names_follow_the_last_duplicate_and_decode_escapes() {
        let text = r#"{"b": true, "a": true, "b": false, "c\u0041": true, "d": [true]}"#;
        let names: UnknownNames = serde_json::from_str(text).unwrap();
        let names: Vec<&str> = names.0.iter().map(|name| &**name).collect();
        assert_eq!(names, vec!["a", "cA"]);
        let none: UnknownNames = serde_json::from_str("true").unwrap();
        assert!(none.0.is_empty());
    }

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

    #[test]
    fn values_nested_too_deep_for_the_walk_give_every_string() {
        let mut text = r#"{"pin": 4711, "key": "deep\"secret"}"#.to_string();
        for _ in 0..200 {
            text = format!("[{text}]");
        }
        let mut found = Vec::new();
        collect_masked_text(&text, &Mask::Whole, &mut found);
        assert_eq!(found, vec!["pin", "4711", "key", "deep\"secret"]);
    }

    #[test]
    fn masked_strings_are_collected() {
        let value = serde_json::json!({"a": "open", "b": {"c": "hidden", "d": ["x", "y"]}});
        let mask = serde_json::json!({"b": {"c": true, "d": [false, true]}});
        let mut found = Vec::new();
        collect_masked(&value, &mask, &mut found);
        assert_eq!(found, vec!["hidden", "y"]);
    }
}
