//! Options every subcommand shares, and how the command line names the
//! library's types.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::findings::FailOn;
use crate::report::Format;

/// Output options shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Also write a report: FORMAT=PATH (repeatable), e.g. `sarif=out.sarif`.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<String>,

    /// Configuration file (default: `.tfaudit.toml` when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Lowest severity that fails the run: info, low, medium, high, critical or never
    /// [default: high, or the configuration's `fail_on`].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
}

/// The report formats as `--format` names them (see [`Format`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Github,
}

impl From<FormatArg> for Format {
    fn from(format: FormatArg) -> Format {
        match format {
            FormatArg::Text => Format::Text,
            FormatArg::Json => Format::Json,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Junit => Format::Junit,
            FormatArg::Markdown => Format::Markdown,
            FormatArg::Github => Format::Github,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_has_its_flag_value() {
        let named: Vec<(String, Format)> = FormatArg::value_variants()
            .iter()
            .map(|arg| {
                let name = arg.to_possible_value().unwrap().get_name().to_string();
                (name, Format::from(*arg))
            })
            .collect();
        let expected: Vec<(String, Format)> = Format::ALL
            .iter()
            .map(|format| (format.name().to_string(), *format))
            .collect();
        assert_eq!(named, expected);
    }
}
