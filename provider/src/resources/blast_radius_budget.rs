//! `guardrail_blast_radius_budget`: how much one change may destroy, replace or
//! touch. A pure declaration kept in state and visible in the plan, where
//! `tfaudit` reads it and enforces it.

use async_trait::async_trait;
use guardrail_core::budget::BudgetSpec;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::field_path;
use crate::schema_util::{block, computed, known, optional, required, schema, string_list, Str};

/// The resource's attributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BudgetState {
    #[serde(default)]
    pub id: Str,
    #[serde(default)]
    pub environment: Str,
    #[serde(default)]
    pub max_destroy: Value<f64>,
    #[serde(default)]
    pub max_replace: Value<f64>,
    #[serde(default)]
    pub max_changes: Value<f64>,
    #[serde(default)]
    pub protected_types: Value<Vec<Str>>,
    #[serde(default)]
    pub scope: Value<Vec<Str>>,
}

/// The resource type.
pub struct BlastRadiusBudget;

/// Known strings of a list, or `None` while the list or an element is unknown.
fn known_list(list: &Value<Vec<Str>>) -> Option<Vec<String>> {
    match list {
        Value::Unknown => None,
        Value::Null => Some(Vec::new()),
        Value::Value(items) => items
            .iter()
            .map(|item| match item {
                Value::Value(text) => Some(text.clone()),
                Value::Null => Some(String::new()),
                Value::Unknown => None,
            })
            .collect(),
    }
}

/// The largest limit accepted: every whole number up to it is exact in a float.
const MAX_LIMIT: f64 = 9_007_199_254_740_991.0;

/// A limit as a whole number; `Err` while unknown or when it is not a whole
/// number from 0 to [`MAX_LIMIT`] (validation reports those).
fn known_number(value: &Value<f64>) -> Result<Option<i64>, ()> {
    match value {
        Value::Value(number) if whole_limit(*number) => Ok(Some(*number as i64)),
        Value::Value(_) | Value::Unknown => Err(()),
        Value::Null => Ok(None),
    }
}

fn whole_limit(number: f64) -> bool {
    number.fract() == 0.0 && (0.0..=MAX_LIMIT).contains(&number)
}

impl BudgetState {
    /// The core specification, `None` while values are unknown.
    pub fn spec(&self) -> Option<BudgetSpec> {
        Some(BudgetSpec {
            environment: known(&self.environment)?.to_string(),
            max_destroy: known_number(&self.max_destroy).ok()?,
            max_replace: known_number(&self.max_replace).ok()?,
            max_changes: known_number(&self.max_changes).ok()?,
            protected_types: known_list(&self.protected_types)?,
            scope: known_list(&self.scope)?,
        })
    }

    /// `environment`, or `environment:scope1,scope2` for a scoped budget.
    fn identifier(&self) -> Value<String> {
        match (known(&self.environment), known_list(&self.scope)) {
            (Some(environment), Some(scope)) if scope.is_empty() => {
                Value::Value(environment.to_string())
            }
            (Some(environment), Some(scope)) => {
                Value::Value(format!("{environment}:{}", scope.join(",")))
            }
            _ => Value::Unknown,
        }
    }
}

fn validate(diags: &mut Diagnostics, state: &BudgetState) {
    // Each field on its own, so that a negative limit is reported even while
    // another attribute is still unknown.
    for (name, value) in [
        ("max_destroy", &state.max_destroy),
        ("max_replace", &state.max_replace),
        ("max_changes", &state.max_changes),
    ] {
        if let Value::Value(number) = value {
            if *number < 0.0 {
                diags.error(
                    "Invalid budget",
                    format!("{name} must be zero or more, got {number}"),
                    AttributePath::new(name),
                );
            } else if !whole_limit(*number) {
                diags.error(
                    "Invalid budget",
                    format!("{name} must be a whole number of resources, got {number}"),
                    AttributePath::new(name),
                );
            }
        }
    }
    if !diags.errors.is_empty() {
        return;
    }
    if let Some(spec) = state.spec() {
        if let Err(error) = spec.validate() {
            diags.error(
                "Invalid budget",
                format!("{}: {}", error.field, error.message),
                field_path::from_root(&error.field),
            );
        }
    }
}

#[async_trait]
impl Resource for BlastRadiusBudget {
    type State<'a> = BudgetState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let limit = |what: &str| {
            optional(
                AttributeType::Number,
                &format!(
                    "How many resources one change may {what} (zero or more). Unset: no limit."
                ),
            )
        };
        Some(schema(block(
            "Declares how much one change to an environment may destroy, replace or touch. \
             The provider keeps the declaration in state and in the plan; `tfaudit plan` \
             reads it from the plan JSON and fails the audit of a change over budget.",
            vec![
                ("id", computed(AttributeType::String, "`environment`, or `environment:scope,...`.")),
                (
                    "environment",
                    required(AttributeType::String, "The environment the budget applies to."),
                ),
                ("max_destroy", limit("destroy")),
                ("max_replace", limit("replace")),
                ("max_changes", limit("create, update, replace or destroy")),
                (
                    "protected_types",
                    optional(
                        string_list(),
                        "Resource types that no change may destroy or replace, such as `hcloud_volume`.",
                    ),
                ),
                (
                    "scope",
                    optional(
                        string_list(),
                        "Module address prefixes the budget covers, such as `module.cluster`. \
                         Unset: the whole configuration.",
                    ),
                ),
            ],
            vec![],
        )))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        validate(diags, &config);
        Some(())
    }

    async fn read<'a>(
        &self,
        _diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        Some((state, private_state))
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        validate(diags, &config_state);
        let mut state = proposed_state;
        state.id = state.identifier();
        Some((state, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        validate(diags, &config_state);
        let mut state = proposed_state;
        state.id = state.identifier();
        Some((state, prior_private_state, Vec::new()))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        _diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut state = planned_state;
        state.id = state.identifier();
        Some((state, planned_private_state))
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut state = planned_state;
        state.id = state.identifier();
        Some((state, planned_private_state))
    }

    async fn destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        Some(())
    }
}
