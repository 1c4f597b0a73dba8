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

/// One entry of `resource_changes`, compacted.
///
/// It deserializes from borrowed JSON (`serde_json::from_slice` or
/// `from_str`): `change.before` and `change.after` are looked at in place.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub address: String,
    pub module_address: String,
    /// `managed` or `data`.
    pub mode: String,
    pub resource_type: String,
    pub provider_name: String,
    /// `change.actions`, classified.
    pub action: Action,
    pub action_reason: Option<String>,
    pub previous_address: Option<String>,
    pub deposed: Option<String>,
    /// `change.importing.id` (or an empty string when importing without an id).
    pub importing: Option<String>,
    /// `change.replace_paths`, each a list of attribute names and indexes.
    pub replace_paths: Vec<Vec<Value>>,
    /// Top-level attribute names whose planned value is unknown until apply.
    pub unknown_attributes: Vec<String>,
    /// `change.before`, only for types where [`keeps_values`] holds (their
    /// [`kept_attributes`]).
    pub before: Option<Value>,
    /// `change.after`, only for types where [`keeps_values`] holds (their
    /// [`kept_attributes`]).
    pub after: Option<Value>,
    /// Strings found at `before_sensitive` / `after_sensitive` paths.
    pub sensitive_strings: Vec<String>,
}

impl ResourceChange {
    pub fn is_managed(&self) -> bool {
        self.mode != "data"
    }
}

impl<'de> Deserialize<'de> for ResourceChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawResourceChange::deserialize(deserializer).map(ResourceChange::from)
    }
}

/// One entry of `resource_drift`: values are kept to find changed attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftChange {
    pub address: String,
    pub module_address: String,
    pub resource_type: String,
    pub action: Action,
    pub before: Value,
    pub after: Value,
    pub sensitive_strings: Vec<String>,
}

impl<'de> Deserialize<'de> for DriftChange {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RawResourceChange::deserialize(deserializer).map(DriftChange::from)
    }
}

#[derive(Debug, Deserialize)]
struct RawResourceChange<'a> {
    #[serde(default)]
    address: String,
    #[serde(default)]
    module_address: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default, rename = "type")]
    resource_type: String,
    #[serde(default)]
    provider_name: Option<String>,
    #[serde(default)]
    action_reason: Option<String>,
    #[serde(default)]
    previous_address: Option<String>,
    #[serde(default)]
    deposed: Option<String>,
    #[serde(default, borrow)]
    change: RawChange<'a>,
}

/// `before` and `after` stay unparsed JSON text (borrowed from the input)
/// until a rule or the redactor needs them: most changes never build a
/// `Value` tree.
#[derive(Debug, Default, Deserialize)]
struct RawChange<'a> {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(default, borrow)]
    before: Option<&'a RawValue>,
    #[serde(default, borrow)]
    after: Option<&'a RawValue>,
    #[serde(default)]
    after_unknown: UnknownNames,
    /// Masks stay text too: most have no `true` and are never parsed.
    #[serde(default, borrow)]
    before_sensitive: Option<&'a RawValue>,
    #[serde(default, borrow)]
    after_sensitive: Option<&'a RawValue>,
    #[serde(default)]
    replace_paths: Option<Vec<Vec<Value>>>,
    #[serde(default)]
    importing: Option<Importing>,
}

#[derive(Debug, Default, Deserialize)]
struct Importing {
    #[serde(default)]
    id: Option<String>,
}

/// Parses unparsed JSON text that the JSON parser already accepted.
fn parsed(raw: Option<&RawValue>) -> Value {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or(Value::Null)
}

/// [`parsed`], keeping only the [`kept_attributes`] of `resource_type`.
fn parsed_kept(raw: Option<&RawValue>, resource_type: &str) -> Value {
    let mut value = parsed(raw);
    if let (Some(names), Value::Object(map)) = (kept_attributes(resource_type), &mut value) {
        map.retain(|name, _| names.contains(&name.as_str()));
    }
    value
}

impl RawChange<'_> {
    fn sensitive_strings(&self) -> Vec<String> {
        let mut found = Vec::new();
        for (raw, mask) in [
            (self.before, self.before_sensitive),
            (self.after, self.after_sensitive),
        ] {
            // A mask without the text `true` marks nothing sensitive.
            let Some(mask) = mask.filter(|mask| mask.get().contains("true")) else {
                continue;
            };
            let mask = parsed(Some(mask));
            if let Some(raw) = raw.filter(|_| mask_has_true(&mask)) {
                collect_masked_raw(raw, &mask, &mut found);
            }
        }
        found.sort();
        found.dedup();
        found
    }
}

impl From<RawResourceChange<'_>> for ResourceChange {
    fn from(raw: RawResourceChange<'_>) -> Self {
        let sensitive_strings = raw.change.sensitive_strings();
        let keep = keeps_values(&raw.resource_type);
        let change = raw.change;
        ResourceChange {
            action: Action::from_actions(&change.actions),
            module_address: raw.module_address.unwrap_or_default(),
            mode: raw.mode.unwrap_or_else(|| "managed".into()),
            provider_name: raw.provider_name.unwrap_or_default(),
            action_reason: raw.action_reason,
            previous_address: raw.previous_address,
            deposed: raw.deposed,
            importing: change
                .importing
                .map(|importing| importing.id.unwrap_or_default()),
            replace_paths: change.replace_paths.unwrap_or_default(),
            unknown_attributes: change.after_unknown.0,
            before: keep.then(|| parsed_kept(change.before, &raw.resource_type)),
            after: keep.then(|| parsed_kept(change.after, &raw.resource_type)),
            sensitive_strings,
            address: raw.address,
            resource_type: raw.resource_type,
        }
    }
}

impl From<RawResourceChange<'_>> for DriftChange {
    fn from(raw: RawResourceChange<'_>) -> Self {
        let sensitive_strings = raw.change.sensitive_strings();
        DriftChange {
            action: Action::from_actions(&raw.change.actions),
            address: raw.address,
            module_address: raw.module_address.unwrap_or_default(),
            resource_type: raw.resource_type,
            before: parsed(raw.change.before),
            after: parsed(raw.change.after),
            sensitive_strings,
        }
    }
}

/// The top-level names of an `after_unknown` object whose value is `true`
/// (sorted, as a `serde_json::Map` would give them); nothing for any other
/// value. Read without building a `Value`.
#[derive(Debug, Default)]
struct UnknownNames(Vec<String>);

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
                let mut names: Vec<String> = Vec::new();
                while let Some(Key(name)) = map.next_key::<Key>()? {
                    let unknown = map.next_value::<IsTrue>()?.0;
                    match names.iter().position(|known| *known == *name) {
                        Some(at) if !unknown => {
                            names.remove(at);
                        }
                        None if unknown => names.push(name.into_owned()),
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

/// A member name, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl<'de> Visitor<'de> for Name {
            type Value = Key<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Borrowed(name)))
            }
            fn visit_str<E>(self, name: &str) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(name.to_owned())))
            }
            fn visit_string<E>(self, name: String) -> Result<Key<'de>, E> {
                Ok(Key(std::borrow::Cow::Owned(name)))
            }
        }
        deserializer.deserialize_str(Name)
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

/// Collects the strings of unparsed JSON `raw` under the `true` parts of
/// `mask`, like [`collect_masked`] on the parsed value, without parsing the
/// parts the mask does not cover into a tree.
pub fn collect_masked_raw(raw: &RawValue, mask: &Value, found: &mut Vec<String>) {
    let mut deserializer = serde_json::Deserializer::from_str(raw.get());
    let _ = Masked { mask, found }.deserialize(&mut deserializer);
}

/// Walks a value under a mask: `true` collects everything below.
struct Masked<'m, 'f> {
    mask: &'m Value,
    found: &'f mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Masked<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.mask {
            Value::Bool(true) => deserializer
                .deserialize_any(Scalars {
                    found: self.found,
                    collect: true,
                })
                .map(|_| ()),
            Value::Object(_) | Value::Array(_) if mask_has_true(self.mask) => {
                deserializer.deserialize_any(self)
            }
            _ => IgnoredAny::deserialize(deserializer).map(|_| ()),
        }
    }
}

impl<'de> Visitor<'de> for Masked<'_, '_> {
    type Value = ();
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Value::Object(masks) = self.mask else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        while let Some(key) = map.next_key::<String>()? {
            match masks.get(&key) {
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
        let Value::Array(masks) = self.mask else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        };
        let mut masks = masks.iter();
        loop {
            let more = match masks.next() {
                Some(mask) => seq
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
}

/// A `resource` block; expressions are kept only where [`keeps_values`] holds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(from = "RawConfigResource")]
pub struct ConfigResource {
    pub address: String,
    pub resource_type: String,
    pub expressions: Value,
}

#[derive(Debug, Deserialize)]
struct RawConfigResource {
    #[serde(default)]
    address: String,
    #[serde(default, rename = "type")]
    resource_type: String,
    #[serde(default)]
    expressions: Value,
}

impl From<RawConfigResource> for ConfigResource {
    fn from(raw: RawConfigResource) -> Self {
        let expressions = if keeps_values(&raw.resource_type) {
            raw.expressions
        } else {
            Value::Null
        };
        ConfigResource {
            address: raw.address,
            resource_type: raw.resource_type,
            expressions,
        }
    }
}

/// A `module` block and the module it calls.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ModuleCall {
    #[serde(default)]
    pub module: ConfigModule,
}

impl Configuration {
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
        assert_eq!(names.0, vec!["a", "cA"]);
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
        assert_eq!(change.sensitive_strings, vec!["hidden"]);
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
