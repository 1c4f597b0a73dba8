//! `tfaudit rules`: every rule with its stable id, default severity and summary.

use clap::Args;

use super::error::CommandError;
use crate::catalogue::all_rules;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the rules as JSON (id, default_severity, summary, help).
    #[arg(long)]
    pub json: bool,
}

/// Prints the rule catalogue.
pub async fn run(args: RulesArgs) -> Result<i32, CommandError> {
    let rules = all_rules();
    if args.json {
        let text = serde_json::to_string_pretty(&rules).map_err(|error| CommandError::Other {
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
