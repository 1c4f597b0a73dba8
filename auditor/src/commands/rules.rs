//! `tfaudit rules`: every rule with its stable id, default severity and summary.

use clap::Args;

use crate::error::AuditError;
use crate::findings::RuleInfo;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the rules as JSON (id, default_severity, summary, help).
    #[arg(long)]
    pub json: bool,
}

/// All rules of every command, in command order (plan, state and its trail
/// check, drift).
pub fn all_rules() -> Vec<RuleInfo> {
    let mut rules = crate::rules::infos();
    rules.extend(crate::state::rules::infos());
    rules.extend(crate::state::trail::INFOS);
    rules.extend(crate::drift::rules::infos());
    let mut seen = std::collections::HashSet::new();
    rules.retain(|rule| seen.insert(rule.id));
    rules
}

/// Prints the rule catalogue.
pub async fn run(args: RulesArgs) -> Result<i32, AuditError> {
    let rules = all_rules();
    if args.json {
        let text = serde_json::to_string_pretty(&rules).map_err(|error| AuditError::Other {
            context: "tfaudit rules".into(),
            message: error.to_string(),
        })?;
        println!("{text}");
    } else {
        let width = rules.iter().map(|rule| rule.id.len()).max().unwrap_or(0);
        for rule in &rules {
            println!(
                "{:<width$}  {:<8}  {}",
                rule.id,
                rule.default_severity.as_str(),
                rule.summary
            );
        }
    }
    Ok(0)
}
