//! Small builders for Terraform schemas and helpers for plan values, shared by
//! every resource and data source of the provider.

use std::collections::HashMap;

use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};
use tf_provider::value::Value;

/// A string attribute value (known, null or unknown).
pub type Str = Value<String>;

fn attribute(kind: AttributeType, constraint: AttributeConstraint, doc: &str) -> Attribute {
    Attribute {
        attr_type: kind,
        description: Description::markdown(doc),
        constraint,
        sensitive: false,
        deprecated: false,
    }
}

/// An attribute the configuration must set.
pub fn required(kind: AttributeType, doc: &str) -> Attribute {
    attribute(kind, AttributeConstraint::Required, doc)
}

/// An attribute the configuration may set.
pub fn optional(kind: AttributeType, doc: &str) -> Attribute {
    attribute(kind, AttributeConstraint::Optional, doc)
}

/// An attribute the configuration may set, else the provider fills it in.
pub fn optional_computed(kind: AttributeType, doc: &str) -> Attribute {
    attribute(kind, AttributeConstraint::OptionalComputed, doc)
}

/// An attribute only the provider sets.
pub fn computed(kind: AttributeType, doc: &str) -> Attribute {
    attribute(kind, AttributeConstraint::Computed, doc)
}

/// `list(string)`
pub fn string_list() -> AttributeType {
    AttributeType::List(Box::new(AttributeType::String))
}

/// A block with the given attributes and nested blocks.
pub fn block(
    doc: &str,
    attributes: Vec<(&str, Attribute)>,
    blocks: Vec<(&str, NestedBlock)>,
) -> Block {
    Block {
        version: 1,
        attributes: attributes
            .into_iter()
            .map(|(name, attr)| (name.to_string(), attr))
            .collect::<HashMap<_, _>>(),
        blocks: blocks
            .into_iter()
            .map(|(name, nested)| (name.to_string(), nested))
            .collect::<HashMap<_, _>>(),
        description: Description::markdown(doc),
        deprecated: false,
    }
}

/// A top-level schema around `block`.
pub fn schema(block: Block) -> Schema {
    Schema { version: 1, block }
}

/// The text of a known, non-null string.
pub fn known(value: &Str) -> Option<&str> {
    match value {
        Value::Value(text) => Some(text.as_str()),
        _ => None,
    }
}

/// Checks an environment name attribute (when known): an error at `attribute`
/// naming what is wrong. Returns false when the name is invalid.
pub fn check_environment(
    diags: &mut tf_provider::Diagnostics,
    value: &Str,
    attribute: &'static str,
) -> bool {
    let Some(name) = known(value) else {
        return true;
    };
    match guardrail_core::environment::EnvironmentName::parse(name) {
        Ok(_) => true,
        Err(error) => {
            diags.error(
                "Invalid environment",
                error.to_string(),
                tf_provider::AttributePath::new(attribute),
            );
            false
        }
    }
}
