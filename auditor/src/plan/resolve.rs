//! What the configuration says a value is: constants, and variables followed
//! up through the module calls that set them to a constant or to a root
//! variable's value; and, built on that, what the plan declares of the
//! guardrail provider (the environments it names, its blast-radius budgets).
//!
//! Reads the [`Plan`] (its `configuration` and `variables`) and the
//! [`address`](super::address) of modules; nothing here judges anything.

use guardrail_core::budget::BudgetSpec;
use serde_json::Value;

use super::action::Action;
use super::address::module_calls;
use super::change::ResourceChange;
use super::model::Plan;

/// The type of the change gate resource.
pub const GATE_TYPE: &str = "guardrail_change_gate";
/// The type of the blast-radius budget resource.
pub const BUDGET_TYPE: &str = "guardrail_blast_radius_budget";
/// The name of the guardrail provider in `provider_config`.
pub const GUARDRAIL_PROVIDER: &str = "guardrail";

/// The value of attribute `name` of a block in the module at
/// `module_address` (empty for the root module): a constant, or a variable
/// (`var.a`, `var.a.b`), followed up through the module calls that set it to
/// a constant or a root variable's value. `None` when the value is more than
/// one variable, or comes from a variable declared sensitive and
/// `sensitive_too` is false.
pub fn resolve_in(
    plan: &Plan,
    module_address: &str,
    expressions: &Value,
    name: &str,
    sensitive_too: bool,
) -> Option<Value> {
    let calls = module_calls(module_address);
    resolve_at(plan, &calls, expressions, name, sensitive_too)
}

/// [`resolve_in`] in the root module.
pub fn resolve(plan: &Plan, expressions: &Value, name: &str, sensitive_too: bool) -> Option<Value> {
    resolve_at(plan, &[], expressions, name, sensitive_too)
}

fn resolve_at(
    plan: &Plan,
    calls: &[&str],
    expressions: &Value,
    name: &str,
    sensitive_too: bool,
) -> Option<Value> {
    let expression = expressions.get(name)?;
    if let Some(value) = expression.get("constant_value") {
        return Some(value.clone());
    }
    let references: Vec<&str> = expression
        .get("references")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let first = *references.first()?;
    // `var.a.b` comes with `var.a`; anything else (another variable,
    // `local.x`, a resource) makes the value more than the variable.
    let only_this_variable = references
        .iter()
        .all(|reference| first == *reference || first.starts_with(&format!("{reference}.")));
    if !only_this_variable {
        return None;
    }
    let mut steps = first.strip_prefix("var.")?.split('.');
    let variable_name = steps.next()?;
    let configuration = &plan.configuration;
    let declared_sensitive = configuration
        .module_at(calls)?
        .variables
        .get(variable_name)
        .is_some_and(|declaration| declaration.sensitive);
    if declared_sensitive && !sensitive_too {
        return None;
    }
    let value = match calls.split_last() {
        None => plan.variables.get(variable_name)?.value.clone(),
        Some((call, parents)) => {
            let call = configuration.module_at(parents)?.module_calls.get(*call)?;
            resolve_at(
                plan,
                parents,
                &call.expressions,
                variable_name,
                sensitive_too,
            )?
        }
    };
    steps
        .try_fold(&value, |value, step| value.get(step))
        .cloned()
}

/// `expressions.NAME.constant_value` as a string.
pub fn constant_string(expressions: &Value, name: &str) -> Option<String> {
    expressions
        .get(name)?
        .get("constant_value")?
        .as_str()
        .map(str::to_string)
}

/// An environment the plan names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Environment {
    pub name: String,
    /// Whether the name is a sensitive value (then never printed).
    pub sensitive: bool,
}

/// The managed changes of `resource_type`.
fn of_type<'p>(plan: &'p Plan, resource_type: &'p str) -> impl Iterator<Item = &'p ResourceChange> {
    plan.resource_changes
        .iter()
        .filter(move |change| change.is_managed() && &*change.resource_type == resource_type)
}

/// The environments the plan names: the guardrail provider's `environment`
/// (a constant, or a variable followed up to its value), and the
/// environments of budgets and gates (their planned value, else their
/// configuration); sorted, without repeats or empty names. `is_sensitive`
/// says which names are sensitive values of the plan.
pub fn environments(plan: &Plan, is_sensitive: impl Fn(&str) -> bool) -> Vec<Environment> {
    let mut found: Vec<String> = Vec::new();
    for provider in plan.configuration.provider_config.values() {
        if provider.name != GUARDRAIL_PROVIDER {
            continue;
        }
        let value = resolve_in(
            plan,
            provider.module_address.as_deref().unwrap_or_default(),
            &provider.expressions,
            "environment",
            true,
        );
        if let Some(Value::String(text)) = value {
            found.push(text);
        }
    }
    for change in of_type(plan, BUDGET_TYPE).chain(of_type(plan, GATE_TYPE)) {
        let planned = change
            .after
            .as_ref()
            .and_then(|after| after.get("environment"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let configured = || {
            let expressions = plan.configuration.resource_expressions(&change.address)?;
            resolve_in(
                plan,
                &change.module_address,
                &expressions,
                "environment",
                true,
            )?
            .as_str()
            .map(str::to_string)
        };
        if let Some(text) = planned.or_else(configured) {
            found.push(text);
        }
    }
    found.sort();
    found.dedup();
    found
        .into_iter()
        .filter(|name| !name.is_empty())
        .map(|name| Environment {
            sensitive: is_sensitive(&name),
            name,
        })
        .collect()
}

/// The budgets declared in the plan (not being destroyed), with their
/// addresses: the planned attributes, falling back to the configuration
/// (constants and variables, never a sensitive one, whose limit would be
/// printed) for attributes unknown at plan time.
pub fn declared_budgets(plan: &Plan) -> Vec<(&str, BudgetSpec)> {
    of_type(plan, BUDGET_TYPE)
        .filter(|change| change.action != Action::Delete)
        .filter_map(|change| {
            let after = change.after.as_ref().filter(|after| after.is_object())?;
            let expressions = plan.configuration.resource_expressions(&change.address);
            let configured = |name: &str| {
                resolve_in(
                    plan,
                    &change.module_address,
                    expressions.as_ref()?,
                    name,
                    false,
                )
            };
            Some((&*change.address, budget_spec(after, configured)))
        })
        .collect()
}

/// A budget from its planned attributes, falling back to `configured` for
/// attributes unknown at plan time.
fn budget_spec(after: &Value, configured: impl Fn(&str) -> Option<Value>) -> BudgetSpec {
    let attribute = |name: &str| -> Value {
        match after.get(name) {
            Some(value) if !value.is_null() => value.clone(),
            _ => configured(name).unwrap_or(Value::Null),
        }
    };
    let strings = |value: Value| -> Vec<String> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    BudgetSpec {
        environment: attribute("environment")
            .as_str()
            .unwrap_or_default()
            .to_string(),
        max_destroy: attribute("max_destroy").as_i64(),
        max_replace: attribute("max_replace").as_i64(),
        max_changes: attribute("max_changes").as_i64(),
        protected_types: strings(attribute("protected_types")),
        scope: strings(attribute("scope")),
    }
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
