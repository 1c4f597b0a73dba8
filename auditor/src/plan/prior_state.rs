//! Sensitive values of the plan's `prior_state`, collected in the plan
//! reader's own pass.
//!
//! `prior_state` is as large as the state, yet it holds sensitive values found
//! nowhere else: data sources read during the plan (the `sensitive_values`
//! masks of `prior_state.values.root_module...resources[]`) and sensitive
//! outputs of the previous run. The reader walks down to the resources and
//! outputs (everything else in it is skipped, still checked to be JSON) and
//! reads one resource at a time: its `values` stay unparsed text, looked at
//! under the mask only when the mask marks something.

use std::collections::BTreeSet;
use std::io::Read;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::mask::Mask;
use super::model::{collect_all_raw, collect_masked_raw};
use super::secrets::SecretCollector;
use super::stream::{self, Scanner};

/// Reads the `prior_state` value that comes next, adding its sensitive
/// strings to `found`. A value of another shape than Terraform's is skipped.
pub(super) fn read<R: Read>(
    scanner: &mut Scanner<R>,
    collector: &mut SecretCollector,
    found: &mut BTreeSet<String>,
) -> stream::Result<()> {
    let mut strings = Vec::new();
    scanner.object_each("prior_state", 0, |scanner, name| match name {
        "values" => scanner.object_each("prior_state.values", 1, |scanner, name| match name {
            "outputs" => scanner.object_each("prior_state.values.outputs", 2, |scanner, _| {
                let OutputSecrets(output) = scanner.parse("prior_state.values.outputs")?;
                strings.extend(output);
                Ok(())
            }),
            "root_module" => read_module(scanner, 2, collector),
            _ => scanner.skip("prior_state.values", 2),
        }),
        _ => scanner.skip("prior_state", 1),
    })?;
    found.extend(strings);
    Ok(())
}

/// A module of `prior_state`: its `resources` (handed to `collector`) and,
/// recursively, `child_modules`.
fn read_module<R: Read>(
    scanner: &mut Scanner<R>,
    depth: usize,
    collector: &mut SecretCollector,
) -> stream::Result<()> {
    const FIELD: &str = "prior_state module";
    scanner.object_each(FIELD, depth, |scanner, name| match name {
        "resources" => scanner.array_each(FIELD, depth + 1, |scanner| {
            let start = scanner.cut_value_into(FIELD, collector.resource_buffer())?;
            collector.added_resource(start)
        }),
        "child_modules" => scanner.array_each(FIELD, depth + 1, |scanner| {
            read_module(scanner, depth + 2, collector)
        }),
        _ => scanner.skip(FIELD, depth + 1),
    })
}

/// The sensitive strings of one `prior_state` resource.
pub(super) struct ResourceSecrets(pub Vec<String>);

impl<'de> Deserialize<'de> for ResourceSecrets {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut found = Vec::new();
        Resource::deserialize(deserializer)?.collect(&mut found);
        Ok(ResourceSecrets(found))
    }
}

/// The sensitive strings of one `prior_state` output.
struct OutputSecrets(Vec<String>);

impl<'de> Deserialize<'de> for OutputSecrets {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut found = Vec::new();
        Output::deserialize(deserializer)?.collect(&mut found);
        Ok(OutputSecrets(found))
    }
}

/// A `prior_state` resource, reduced to its values (unparsed) and their mask.
/// Any JSON value reads as one (a value of another shape marks nothing).
/// The mask stays text until it is walked (see [`Mask::parse`](super::mask::Mask::parse)), so that
/// a mask of any depth is followed.
#[derive(Default)]
struct Resource<'a> {
    values: Option<&'a RawValue>,
    sensitive_values: Option<&'a RawValue>,
}

impl Resource<'_> {
    fn collect(&self, found: &mut Vec<String>) {
        let (Some(values), Some(mask)) = (self.values, self.sensitive_values) else {
            return;
        };
        if memchr::memmem::find(mask.get().as_bytes(), b"true").is_none() {
            return;
        }
        let mask = Mask::parse(mask.get());
        if mask.marks_anything() {
            collect_masked_raw(values, &mask, found);
        }
    }
}

impl<'de> FromMembers<'de> for Resource<'de> {
    fn member<A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<(), A::Error> {
        match name {
            "values" => self.values = Some(map.next_value()?),
            "sensitive_values" => self.sensitive_values = Some(map.next_value()?),
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Resource<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MembersOf::<Resource<'de>>(PhantomData))
    }
}

/// An output of `prior_state`: its value (unparsed) and whether it is sensitive.
#[derive(Default)]
struct Output<'a> {
    value: Option<&'a RawValue>,
    sensitive: bool,
}

impl Output<'_> {
    fn collect(&self, found: &mut Vec<String>) {
        if let Some(value) = self.value.filter(|_| self.sensitive) {
            collect_all_raw(value, found);
        }
    }
}

impl<'de> FromMembers<'de> for Output<'de> {
    fn member<A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<(), A::Error> {
        match name {
            "value" => self.value = Some(map.next_value()?),
            "sensitive" => {
                let flag: &RawValue = map.next_value()?;
                self.sensitive = flag.get().trim() == "true";
            }
            _ => {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Output<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MembersOf::<Output<'de>>(PhantomData))
    }
}

/// Something read from a JSON object member by member. Any other JSON value
/// reads as the default: `prior_state` of another shape than Terraform's
/// marks nothing.
trait FromMembers<'de>: Default {
    /// Reads the value of member `name` (it must consume it).
    fn member<A: MapAccess<'de>>(&mut self, name: &str, map: &mut A) -> Result<(), A::Error>;
}

struct MembersOf<T>(PhantomData<T>);

impl<'de, T: FromMembers<'de>> Visitor<'de> for MembersOf<T> {
    type Value = T;
    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a prior_state object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut value = T::default();
        while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            value.member(&name, &mut map)?;
        }
        Ok(value)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }
    fn visit_bool<E>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_str<E>(self, _: &str) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

#[cfg(test)]
mod tests {
    fn secrets_of(json: &str, buffer: usize) -> Vec<String> {
        let plan = super::super::stream::read_plan_buffered(json.as_bytes(), buffer).unwrap();
        plan.sensitive_strings.into_iter().collect()
    }

    #[test]
    fn masked_values_of_prior_state_resources_and_outputs_are_found() {
        let json = r#"{"variables": {"prior_state": {"value": {"values": {"outputs": {"x": {"sensitive": true, "value": "decoy"}}}}}},
          "prior_state": {"format_version": "1.0", "values": {
            "outputs": {"db": {"sensitive": true, "value": "out-secret"}, "open": {"sensitive": false, "value": "visible"}},
            "root_module": {
              "resources": [{"address": "data.x.y", "values": {"password": "pa\"ss}]", "name": "n"}, "sensitive_values": {"password": true}}],
              "child_modules": [{"resources": [{"values": {"list": ["a", "deep-secret"]}, "sensitive_values": {"list": [false, true]}}],
                "child_modules": [{"resources": [{"values": {"n": 42, "o": "no"}, "sensitive_values": {"n": true}}]}]}]
            }}},
          "configuration": {"root_module": {}}}"#;
        let expected = vec!["42", "deep-secret", "out-secret", "pa\"ss}]"];
        for buffer in [16, 40, 4096] {
            assert_eq!(secrets_of(json, buffer), expected, "buffer of {buffer}");
        }
    }

    #[test]
    fn other_shapes_are_skipped_and_bad_json_is_an_error() {
        for json in [
            r#"{"prior_state": null}"#,
            r#"{"prior_state": [1, {"values": 2}]}"#,
            r#"{"prior_state": {"values": {"root_module": {"resources": [7, null, {"values": "x", "sensitive_values": true}]}}}}"#,
        ] {
            let plan = super::super::stream::read_plan_buffered(json.as_bytes(), 16).unwrap();
            let found: Vec<_> = plan.sensitive_strings.into_iter().collect();
            assert!(found.iter().all(|value| value == "x"), "{json}: {found:?}");
        }
        let broken = r#"{"prior_state": {"values": {"root_module": {"resources": [{"values": {"a": 1,}}]}}}}"#;
        assert!(super::super::stream::read_plan(broken.as_bytes()).is_err());
    }
}
