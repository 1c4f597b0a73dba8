//! The `configuration` member of a plan: provider configurations and the
//! module tree (variables, resource blocks, module calls), reduced to what the
//! rules read.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::model::{null_as_default, parsed};

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
}
