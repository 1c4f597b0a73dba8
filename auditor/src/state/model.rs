//! Terraform's state format, version 4 (what `terraform state pull` prints and
//! what the S3 backend stores).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use crate::error::InputError;
use crate::input_kind::{expected, InputKind};

/// A parsed state file.
#[derive(Debug, Clone, Deserialize)]
pub struct StateFile {
    pub version: u64,
    #[serde(default)]
    pub terraform_version: String,
    pub serial: u64,
    pub lineage: String,
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputValue>,
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// One root-module output.
#[derive(Debug, Clone, Deserialize)]
pub struct OutputValue {
    #[serde(default)]
    pub value: Value,
    #[serde(default)]
    pub sensitive: bool,
}

/// One resource block (all its instances).
#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    #[serde(default)]
    pub module: Option<String>,
    pub mode: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub name: String,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub instances: Vec<Instance>,
}

/// One instance of a resource (one per `count`/`for_each` key).
#[derive(Debug, Clone, Deserialize)]
pub struct Instance {
    #[serde(default)]
    pub index_key: Option<Value>,
    #[serde(default)]
    pub schema_version: u64,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub deposed: Option<String>,
    #[serde(default)]
    pub attributes: Option<Value>,
    #[serde(default)]
    pub sensitive_attributes: Vec<Value>,
}

impl StateFile {
    /// Parses a state from its bytes; `origin` names the file or object in errors.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<StateFile, InputError> {
        let file = || PathBuf::from(origin);
        let json_error = |error: serde_json::Error| InputError::Json {
            file: file(),
            line: error.line(),
            column: error.column(),
            message: redact_values(&without_position(&error.to_string())),
        };
        let raw: Value = serde_json::from_slice(bytes).map_err(json_error)?;
        let kind = InputKind::of_value(&raw);
        if kind.is_plan() || kind == InputKind::ShownState {
            return Err(InputError::WrongKind {
                file: file(),
                given: kind,
                expected: expected::STATE,
            });
        }
        let version_error = |found: String| InputError::Field {
            file: file(),
            field: "version".to_owned(),
            expected: format!("expected 4 (Terraform state format v4), found {found}"),
        };
        match raw.get("version") {
            Some(Value::Number(number)) if number.as_u64() == Some(4) => {}
            Some(other) => {
                return Err(version_error(match other {
                    Value::Number(number) => number.to_string(),
                    other => format!("a {}", json_type(other)),
                }))
            }
            None => return Err(version_error("no `version` field".to_owned())),
        }
        if let Err((field, expected, found)) = check_shape(&raw) {
            return Err(InputError::Field {
                file: file(),
                field,
                expected: format!("expected {expected}, found {found}"),
            });
        }
        serde_json::from_value(raw).map_err(|error| InputError::Invalid {
            file: file(),
            problem: format!(
                "not in the v4 state format: {}",
                redact_values(&error.to_string())
            ),
        })
    }

    /// Forgets everything the rules that look inside one state needed and the
    /// cross-state rules and the journal do not: outputs, attribute values, names,
    /// index keys, statuses. What stays is lineage, serial, versions, and per
    /// instance its resource's mode, type, provider and schema version (so
    /// [`StateFile::instance_count`] is unchanged).
    pub fn drop_values(&mut self) {
        self.drop_values_except(|_| false);
    }

    /// [`StateFile::drop_values`], but the resources `keep` names stay whole
    /// (names, keys and attribute values: what a live comparison reads).
    pub fn drop_values_except(&mut self, keep: impl Fn(&Resource) -> bool) {
        self.outputs = BTreeMap::new();
        for resource in self.resources.iter_mut().filter(|r| !keep(r)) {
            resource.name = String::new();
            resource.module = None;
            for instance in &mut resource.instances {
                instance.attributes = None;
                instance.sensitive_attributes = Vec::new();
                instance.index_key = None;
                instance.status = None;
                instance.deposed = None;
            }
            resource.instances.shrink_to_fit();
        }
        self.resources.shrink_to_fit();
    }

    /// Number of resource instances (managed and data), deposed objects included.
    pub fn instance_count(&self) -> usize {
        self.resources.iter().map(|r| r.instances.len()).sum()
    }

    /// Managed resource instances with their addresses.
    pub fn managed_instances(&self) -> impl Iterator<Item = (String, &Resource, &Instance)> {
        self.resources
            .iter()
            .filter(|resource| resource.mode == "managed")
            .flat_map(|resource| {
                resource
                    .instances
                    .iter()
                    .map(move |instance| (resource.instance_address(instance), resource, instance))
            })
    }
}

/// The JSON type name of `value`, for messages (never the value itself).
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

type ShapeError = (String, &'static str, String);

/// Checks the fields the audit relies on, so that errors name the field path.
fn check_shape(raw: &Value) -> Result<(), ShapeError> {
    let wrong = |field: String, expected: &'static str, value: &Value| -> ShapeError {
        (field, expected, format!("a {}", json_type(value)))
    };
    let require = |parent: &Value,
                   path: &str,
                   name: &str,
                   expected: &'static str,
                   ok: fn(&Value) -> bool,
                   optional: bool|
     -> Result<(), ShapeError> {
        let field = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        match parent.get(name) {
            None | Some(Value::Null) if optional => Ok(()),
            None => Err((field, expected, "nothing (the field is missing)".to_owned())),
            Some(value) if ok(value) => Ok(()),
            Some(value) => Err(wrong(field, expected, value)),
        }
    };
    let is_u64 = |v: &Value| v.as_u64().is_some();
    let is_string = |v: &Value| v.is_string();
    let is_array = |v: &Value| v.is_array();
    let is_object = |v: &Value| v.is_object();
    require(raw, "", "serial", "a non-negative integer", is_u64, false)?;
    require(raw, "", "lineage", "a string", is_string, false)?;
    require(raw, "", "terraform_version", "a string", is_string, true)?;
    require(raw, "", "outputs", "an object", is_object, true)?;
    require(raw, "", "resources", "an array", is_array, true)?;
    for (r, resource) in raw
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("resources[{r}]");
        if !resource.is_object() {
            return Err(wrong(path, "an object", resource));
        }
        for name in ["mode", "type", "name"] {
            require(resource, &path, name, "a string", is_string, false)?;
        }
        require(resource, &path, "provider", "a string", is_string, true)?;
        require(resource, &path, "module", "a string", is_string, true)?;
        require(resource, &path, "instances", "an array", is_array, true)?;
        for (i, instance) in resource
            .get("instances")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let path = format!("{path}.instances[{i}]");
            if !instance.is_object() {
                return Err(wrong(path, "an object", instance));
            }
            require(
                instance,
                &path,
                "schema_version",
                "a non-negative integer",
                is_u64,
                true,
            )?;
            require(instance, &path, "status", "a string", is_string, true)?;
            require(instance, &path, "deposed", "a string", is_string, true)?;
            require(
                instance,
                &path,
                "sensitive_attributes",
                "an array",
                is_array,
                true,
            )?;
        }
    }
    for (name, output) in raw
        .get("outputs")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = format!("outputs.{name}");
        if !output.is_object() {
            return Err(wrong(path, "an object", output));
        }
        require(
            output,
            &path,
            "sensitive",
            "a boolean",
            Value::is_boolean,
            true,
        )?;
    }
    Ok(())
}

/// serde_json ends its messages with ` at line L column C`, which the error
/// already carries.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// serde quotes offending string values in its messages (`invalid type: string
/// "..."`); state strings may be secrets, so the quoted text is dropped.
fn redact_values(message: &str) -> String {
    let marker = "string \"";
    let Some(start) = message.find(marker) else {
        return message.to_owned();
    };
    let rest = &message[start + marker.len()..];
    let after = rest
        .find("\", expected")
        .map(|end| &rest[end + 1..])
        .unwrap_or("");
    format!("{}string (value not shown){after}", &message[..start])
}

impl Resource {
    /// `module.a.hcloud_server.web["x"]`, as Terraform prints it.
    pub fn instance_address(&self, instance: &Instance) -> String {
        let mut address = String::new();
        if let Some(module) = self.module.as_deref().filter(|m| !m.is_empty()) {
            address.push_str(module);
            address.push('.');
        }
        if self.mode == "data" {
            address.push_str("data.");
        }
        address.push_str(&self.resource_type);
        address.push('.');
        address.push_str(&self.name);
        match &instance.index_key {
            Some(Value::Number(number)) => address.push_str(&format!("[{number}]")),
            Some(Value::String(key)) => address.push_str(&format!("[{key:?}]")),
            _ => {}
        }
        address
    }

    /// The provider's source address without Terraform's wrapping:
    /// `provider["registry.terraform.io/hetznercloud/hcloud"]` -> `registry.terraform.io/hetznercloud/hcloud`.
    pub fn provider_source(&self) -> &str {
        let text = self.provider.as_str();
        let Some(start) = text.find("[\"") else {
            return text;
        };
        let rest = &text[start + 2..];
        rest.find("\"]").map(|end| &rest[..end]).unwrap_or(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_other_versions_naming_the_field() {
        let error = StateFile::parse(br#"{"version":3,"serial":1,"lineage":"x"}"#, "a.tfstate")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("a.tfstate") && error.contains("`version`"),
            "{error}"
        );
    }

    #[test]
    fn names_the_missing_field() {
        let error = StateFile::parse(br#"{"version":4,"serial":1}"#, "b.tfstate")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("b.tfstate") && error.contains("lineage"),
            "{error}"
        );
    }

    #[test]
    fn addresses_follow_terraform() {
        let state = StateFile::parse(
            br#"{"version":4,"serial":1,"lineage":"l","resources":[
              {"module":"module.k3s","mode":"managed","type":"hcloud_server","name":"agent",
               "provider":"provider[\"registry.terraform.io/hetznercloud/hcloud\"]",
               "instances":[{"index_key":"a-1","attributes":{}},{"index_key":2,"attributes":{}}]}]}"#,
            "c",
        )
        .unwrap();
        let addresses: Vec<String> = state.managed_instances().map(|(a, _, _)| a).collect();
        assert_eq!(
            addresses,
            [
                "module.k3s.hcloud_server.agent[\"a-1\"]",
                "module.k3s.hcloud_server.agent[2]"
            ]
        );
        assert_eq!(
            state.resources[0].provider_source(),
            "registry.terraform.io/hetznercloud/hcloud"
        );
    }

    #[test]
    fn errors_never_quote_string_values() {
        let error = StateFile::parse(
            br#"{"version":4,"serial":"hunter2-secret","lineage":"x"}"#,
            "d.tfstate",
        )
        .unwrap_err()
        .to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(
            error.contains("d.tfstate") && error.contains("field `serial`"),
            "{error}"
        );
    }

    #[test]
    fn nested_errors_name_the_path() {
        let error = StateFile::parse(
            br#"{"version":4,"serial":1,"lineage":"x","resources":[{"mode":"managed","type":"t","name":"n","instances":[{"status":7}]}]}"#,
            "e.tfstate",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains(
                "field `resources[0].instances[0].status`: expected a string, found a number"
            ),
            "{error}"
        );
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = StateFile::parse(&bytes, "fuzz");
        }

        #[test]
        fn never_panics_on_json_shaped_text(text in r#"\{"version":[0-9],"serial":-?[0-9]{1,3},"lineage":"[a-z]{0,4}"(,"resources":\[\{"mode":"[a-z]{0,7}"\}\])?\}"#) {
            let _ = StateFile::parse(text.as_bytes(), "fuzz");
        }
    }
}
