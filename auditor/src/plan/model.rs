//! The plan as a whole (format 1.x), reduced to the members the rules read:
//! the resource changes and drift ([`super::change`]), the configuration tree
//! ([`super::configuration`]), and the smaller members (outputs, variables,
//! relevant attributes, deferred changes).
//!
//! Every member the rules do not use is skipped ([`serde::de::IgnoredAny`],
//! serde's default for unknown fields).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::change::{DriftChange, ResourceChange};
use super::configuration::Configuration;
use super::fields::null_as_default;
use super::mask::mask_has_true;

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
    pub sensitive_strings: BTreeSet<String>,
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
