//! The regorus side of `bench/peers.sh`: evaluates a Rego policy over a plan
//! JSON file the way `opa eval` or conftest would (read the document, parse it
//! into the engine's values, evaluate the rule), and prints how many results
//! the rule has.
//!
//!     rego_peer POLICY.rego PLAN.json RULE MAX_DESTROY
//!
//! `MAX_DESTROY` is passed as `data.budget.max_destroy`.

use anyhow::{bail, Context, Result};
use regorus::{Engine, Value};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [policy, plan, rule, max_destroy] = args.as_slice() else {
        bail!("usage: rego_peer POLICY.rego PLAN.json RULE MAX_DESTROY");
    };
    let max_destroy: u64 = max_destroy
        .parse()
        .context("MAX_DESTROY: expected a number")?;
    let mut engine = Engine::new();
    let text = std::fs::read_to_string(policy).with_context(|| format!("reading {policy}"))?;
    engine.add_policy(policy.clone(), text)?;
    engine.add_data(Value::from_json_str(&format!(
        r#"{{"budget": {{"max_destroy": {max_destroy}}}}}"#
    ))?)?;
    let document = std::fs::read_to_string(plan).with_context(|| format!("reading {plan}"))?;
    engine.set_input(Value::from_json_str(&document)?);
    let results = engine.eval_rule(rule.clone())?;
    let count = match &results {
        Value::Set(set) => set.len(),
        Value::Array(array) => array.len(),
        Value::Undefined => 0,
        _ => 1,
    };
    println!("{count}");
    Ok(())
}
