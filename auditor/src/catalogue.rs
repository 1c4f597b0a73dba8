//! The catalogue of every rule of every command, read from the rule
//! registries: what `tfaudit rules` lists and every rule id `.tfaudit.toml`
//! may name in `[severity]` and `[[waiver]]`.

use std::collections::HashSet;

use crate::findings::RuleInfo;

/// All rules of every command, in command order (plan, state and its trail
/// check, drift), each once.
pub fn all_rules() -> Vec<RuleInfo> {
    let mut rules = crate::rules::REGISTRY.infos();
    rules.extend(crate::state::rules::infos());
    rules.extend(crate::state::trail::INFOS);
    rules.extend(crate::drift::rules::REGISTRY.infos());
    let mut seen = HashSet::new();
    rules.retain(|rule| seen.insert(rule.id));
    rules
}
