//! The `configuration` member of a plan: provider configurations and the
//! module tree (variables, resource blocks, module calls), reduced to what the
//! rules read, and found by address ([`super::address`]). What a variable
//! resolves to through the module calls is for `resolve.rs`, above this.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::address::Address;
use super::fields::null_as_default;

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

/// A `resource` block. Its expressions stay JSON text until asked for
/// ([`ConfigResource::expressions`]): most blocks are never asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigResource {
    pub address: String,
    pub resource_type: String,
    expressions: Option<Box<str>>,
}

impl ConfigResource {
    /// The block's `expressions` (`null` when it has none).
    pub fn expressions(&self) -> Value {
        self.expressions
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Value::Null)
    }
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
        Ok(ConfigResource {
            address: raw.address,
            resource_type: raw.resource_type,
            expressions: raw.expressions.map(|text| text.get().into()),
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

impl Configuration {
    /// The module reached through `calls` from the root module.
    pub fn module_at(&self, calls: &[&str]) -> Option<&ConfigModule> {
        calls.iter().try_fold(&self.root_module, |module, call| {
            module.module_calls.get(*call).map(|call| &call.module)
        })
    }

    /// The expressions of the resource block behind `address` (instance keys
    /// and module instance keys stripped), searching the module tree.
    pub fn resource_expressions(&self, address: &str) -> Option<Value> {
        let address = Address::parse(address)?;
        let resource = address.block_key()?;
        let module = self.module_at(&address.call_path())?;
        module
            .resources
            .iter()
            .find(|block| block.address == resource)
            .map(ConfigResource::expressions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_blocks_are_found_through_module_calls() {
        let configuration: Configuration = serde_json::from_str(
            r#"{"root_module": {
                "resources": [{"address": "t.n", "type": "t", "expressions": {"a": {"constant_value": 1}}}],
                "module_calls": {"m": {"module": {"resources": [
                    {"address": "data.t.n", "type": "t", "expressions": {"b": {"constant_value": 2}}},
                    {"address": "t.bare", "type": "t"}]}}}}}"#,
        )
        .unwrap();
        let cases = [
            (
                "t.n[0]",
                Some(serde_json::json!({"a": {"constant_value": 1}})),
            ),
            (
                r#"module.m["k.]"].data.t.n"#,
                Some(serde_json::json!({"b": {"constant_value": 2}})),
            ),
            ("module.m.t.bare", Some(Value::Null)),
            ("module.x.t.n", None),
            ("t.other", None),
            ("not an address", None),
        ];
        for (address, expected) in cases {
            assert_eq!(
                configuration.resource_expressions(address),
                expected,
                "{address}"
            );
        }
    }
}
