//! Deserializers for the fields of plan records, read in place from borrowed
//! JSON without building `Value` trees: the actions list, the unknown
//! attribute names, the kept attributes of a value, member names, and `null`
//! read as the default.

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::action::{Action, ActionListReader, ActionsProblem, KNOWN_ACTION_LISTS};
use super::names::{self, Name};
use super::retention::Kept;

/// `null` (or an absent member) read as the default.
pub(super) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Parses unparsed JSON text that the JSON parser already accepted (`null`
/// when absent).
pub(super) fn parsed(raw: Option<&RawValue>) -> Value {
    raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or(Value::Null)
}

/// `change.actions`, classified as it is read (no strings kept): the
/// action, or what is wrong with the list (missing when there is none).
#[derive(Debug)]
pub(super) struct ActionList(pub(super) Result<Action, ActionsProblem>);

impl Default for ActionList {
    fn default() -> Self {
        ActionList(Err(ActionsProblem::Missing))
    }
}

impl<'de> Deserialize<'de> for ActionList {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Actions;
        impl<'de> Visitor<'de> for Actions {
            type Value = ActionList;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(formatter, "a list of actions ({KNOWN_ACTION_LISTS})")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ActionList, A::Error> {
                let mut list = ActionListReader::default();
                while let Some(Key(name)) = seq.next_element::<Key>()? {
                    list.push(&name);
                }
                Ok(ActionList(list.finish()))
            }
            fn visit_unit<E>(self) -> Result<ActionList, E> {
                Ok(ActionList(Err(ActionsProblem::Null)))
            }
            fn visit_none<E>(self) -> Result<ActionList, E> {
                Ok(ActionList(Err(ActionsProblem::Null)))
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

/// [`parsed`], keeping what `kept` says: with [`Kept::Attributes`] the other
/// attributes are skipped, never built.
pub(super) fn parsed_kept(raw: Option<&RawValue>, kept: Kept) -> Value {
    let (Kept::Attributes(names), Some(raw)) = (kept, raw) else {
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

/// The top-level names of an `after_unknown` object whose value is `true`
/// (sorted, as a `serde_json::Map` would give them); nothing for any other
/// value. Read without building a `Value`.
#[derive(Debug, Default)]
pub(super) struct UnknownNames(pub(super) Vec<Name>);

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
pub(super) struct Key<'de>(pub(super) std::borrow::Cow<'de, str>);

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
        struct Flag;
        impl<'de> Visitor<'de> for Flag {
            type Value = bool;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(false)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(false)
            }
            fn visit_bool<E>(self, value: bool) -> Result<bool, E> {
                Ok(value)
            }
            fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_str<E>(self, _: &str) -> Result<bool, E> {
                Ok(false)
            }
            fn visit_unit<E>(self) -> Result<bool, E> {
                Ok(false)
            }
        }
        deserializer.deserialize_any(Flag).map(IsTrue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_follow_the_last_duplicate_and_decode_escapes() {
        let text = r#"{"b": true, "a": true, "b": false, "c\u0041": true, "d": [true]}"#;
        let names: UnknownNames = serde_json::from_str(text).unwrap();
        let names: Vec<&str> = names.0.iter().map(|name| &**name).collect();
        assert_eq!(names, vec!["a", "cA"]);
        let none: UnknownNames = serde_json::from_str("true").unwrap();
        assert!(none.0.is_empty());
    }
}
