//! Sensitive values of the plan's `prior_state`, collected in the plan
//! reader's own pass.
//!
//! `prior_state` is as large as the state, yet it holds sensitive values found
//! nowhere else: data sources read during the plan (the `sensitive_values`
//! masks of `prior_state.values.root_module...resources[]`) and sensitive
//! outputs of the previous run. The reader walks down to the resources and
//! outputs (everything else in it is skipped, still checked to be JSON) and
//! reads one resource at a time, borrowing from the read buffer: its `values`
//! and `sensitive_values` stay unparsed text, handed to the reader's
//! [`SensitiveSink`] (which walks them only when the mask marks something),
//! as is the value of each sensitive output.

use std::io::Read;
use std::marker::PhantomData;

use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::fields::Key;
use super::mask::SensitiveSink;
use super::scanner::{self, ReadBorrowed, Scanner};
use super::secrets::SecretCollector;

/// Reads the `prior_state` value that comes next, handing its sensitive
/// values to `sink` (which hands them over batch by batch). A value of
/// another shape than Terraform's is skipped.
pub(super) fn read<R: Read>(
    scanner: &mut Scanner<R>,
    sink: &mut SecretCollector,
) -> scanner::Result<()> {
    scanner.object_each("prior_state", 0, |scanner, name| match name {
        "values" => scanner.object_each("prior_state.values", 1, |scanner, name| match name {
            "outputs" => scanner.object_each("prior_state.values.outputs", 2, |scanner, _| {
                let field = "prior_state.values.outputs";
                scanner.parse_borrowed(field, &mut Sink::<Output, _>::new(sink))?;
                sink.check()
            }),
            "root_module" => read_module(scanner, 2, sink),
            _ => scanner.skip("prior_state.values", 2),
        }),
        _ => scanner.skip("prior_state", 1),
    })
}

/// A module of `prior_state`: its `resources` and, recursively,
/// `child_modules`.
fn read_module<R: Read>(
    scanner: &mut Scanner<R>,
    depth: usize,
    sink: &mut SecretCollector,
) -> scanner::Result<()> {
    const FIELD: &str = "prior_state module";
    scanner.object_each(FIELD, depth, |scanner, name| match name {
        "resources" => scanner.array_each(FIELD, depth + 1, |scanner| {
            scanner.parse_borrowed(FIELD, &mut Sink::<Resource, _>::new(sink))?;
            sink.check()
        }),
        "child_modules" => scanner.array_each(FIELD, depth + 1, |scanner| {
            read_module(scanner, depth + 2, sink)
        }),
        _ => scanner.skip(FIELD, depth + 1),
    })
}

/// Something of `prior_state` that gives its sensitive values to a sink.
trait Feeds {
    fn feed(&self, sink: &mut impl SensitiveSink);
}

/// Reads one `T` borrowing from the buffer and hands it to the sink.
struct Sink<'s, T, S> {
    sink: &'s mut S,
    read: PhantomData<T>,
}

impl<'s, T, S> Sink<'s, T, S> {
    fn new(sink: &'s mut S) -> Self {
        Sink {
            sink,
            read: PhantomData,
        }
    }
}

impl<S: SensitiveSink> ReadBorrowed for Sink<'_, Resource<'static>, S> {
    type Raw<'a> = Resource<'a>;
    type Output = ();
    fn finish(&mut self, resource: Resource<'_>) {
        resource.feed(self.sink);
    }
}

impl<S: SensitiveSink> ReadBorrowed for Sink<'_, Output<'static>, S> {
    type Raw<'a> = Output<'a>;
    type Output = ();
    fn finish(&mut self, output: Output<'_>) {
        output.feed(self.sink);
    }
}

/// A `prior_state` resource, reduced to its values (unparsed) and their mask.
/// Any JSON value reads as one (a value of another shape marks nothing).
/// The mask stays text until it is walked (see
/// [`Mask::parse`](super::mask::Mask::parse)), so that a mask of any depth is
/// followed.
#[derive(Default)]
struct Resource<'a> {
    values: Option<&'a RawValue>,
    sensitive_values: Option<&'a RawValue>,
}

impl Feeds for Resource<'_> {
    fn feed(&self, sink: &mut impl SensitiveSink) {
        if let (Some(values), Some(mask)) = (self.values, self.sensitive_values) {
            sink.masked(values.get(), mask.get());
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

impl Feeds for Output<'_> {
    fn feed(&self, sink: &mut impl SensitiveSink) {
        if let Some(value) = self.value.filter(|_| self.sensitive) {
            sink.whole(value.get());
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
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
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
        let plan = super::super::reader::read_plan_buffered(json.as_bytes(), buffer).unwrap();
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
            let plan = super::super::reader::read_plan_buffered(json.as_bytes(), 16).unwrap();
            let found: Vec<_> = plan.sensitive_strings.into_iter().collect();
            assert!(found.iter().all(|value| value == "x"), "{json}: {found:?}");
        }
        let broken = r#"{"prior_state": {"values": {"root_module": {"resources": [{"values": {"a": 1,}}]}}}}"#;
        assert!(super::super::reader::read_plan(broken.as_bytes()).is_err());
    }
}
