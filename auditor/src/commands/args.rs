//! Options every subcommand shares, and how the command line names the
//! library's types.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::attest::{parse_store_url, AttestError};
use crate::findings::FailOn;
use crate::report::{Format, RenderOptions, SubjectFile};
use guardrail_core::store::StoreConfig;

/// Output options shared by every subcommand.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Format printed on stdout.
    #[arg(long, value_enum, default_value_t = FormatArg::Text)]
    pub format: FormatArg,

    /// Also write a report: FORMAT=PATH (repeatable), e.g. `sarif=out.sarif`;
    /// PATH `-` is stdout (then without `--format`, and one report at most).
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<String>,

    /// Configuration file (default: `.tfaudit.toml` when present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Lowest severity that fails the run: info, low, medium, high, critical or never
    /// [default: high, or the configuration's `fail_on`].
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,

    /// SARIF: the code scanning category, e.g. `tfaudit/plan/production`. The
    /// run's `automationDetails.id` becomes `NAME/`, so uploads of different
    /// categories (one per environment) keep their own alerts. Without it the
    /// log has no `automationDetails` and upload-sarif's `category` applies.
    #[arg(long, value_name = "NAME", value_parser = non_empty)]
    pub sarif_category: Option<String>,

    /// The repository root that SARIF and `.tf` locations are relative to
    /// [default: `git rev-parse --show-toplevel` of the current directory, or the
    /// current directory outside a Git work tree]. Files outside it are never
    /// named in SARIF.
    #[arg(long, value_name = "DIR")]
    pub repo_root: Option<PathBuf>,

    /// Markdown: text written right after the comment's `<!-- tfaudit -->`
    /// marker line (e.g. a hidden environment marker and a title). It counts
    /// towards GitHub's 65,536-character limit, so post the report as it is.
    #[arg(long, value_name = "TEXT")]
    pub comment_header: Option<String>,

    /// Markdown: the pull request number; the comment then links to its code
    /// scanning alerts in `--repository`.
    #[arg(long, value_name = "N")]
    pub pull_request: Option<u64>,

    /// Markdown: `OWNER/REPO` for the code scanning link [default:
    /// `GITHUB_REPOSITORY`; the link needs `--pull-request` too].
    #[arg(long, value_name = "OWNER/REPO")]
    pub repository: Option<String>,
}

fn non_empty(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(text.to_string())
    }
}

impl OutputArgs {
    /// The repository root: `--repo-root`, the Git work tree of the current
    /// directory, or the current directory.
    pub fn repository_root(&self) -> Option<PathBuf> {
        if let Some(root) = &self.repo_root {
            return Some(absolute(root));
        }
        let from_git = std::process::Command::new("git")
            .args(["rev-parse", "--show-toplevel"])
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|output| output.status.success())
            .and_then(|output| String::from_utf8(output.stdout).ok())
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty())
            .map(PathBuf::from);
        from_git.or_else(|| std::env::current_dir().ok())
    }

    /// The rendering options of these flags. Findings without a `.tf` location
    /// point at `subject` (the audited file, if the subject is one local file)
    /// when it is in the repository, else at `fallback` (a file of the
    /// configuration) when that is: code scanning rejects a result without a
    /// file. Neither in the repository: the address alone.
    pub fn render_options(
        &self,
        root: Option<&Path>,
        subject: Option<&Path>,
        fallback: Option<&Path>,
    ) -> RenderOptions {
        let in_repository = |file: &Path| {
            let root = root?;
            if !file.is_file() {
                return None;
            }
            crate::source::relative_to_root(file, root)
        };
        let subject_file = match subject
            .and_then(in_repository)
            .or_else(|| fallback.and_then(in_repository))
        {
            Some(relative) => SubjectFile::InRepository(relative),
            None => SubjectFile::Outside,
        };
        let repository = self
            .repository
            .clone()
            .or_else(|| std::env::var("GITHUB_REPOSITORY").ok())
            .filter(|repository| repository.split('/').filter(|p| !p.is_empty()).count() == 2);
        let alerts_url = match (repository, self.pull_request) {
            (Some(repository), Some(number)) => {
                let server = std::env::var("GITHUB_SERVER_URL")
                    .ok()
                    .filter(|url| url.starts_with("https://"))
                    .unwrap_or_else(|| "https://github.com".into());
                Some(format!(
                    "{}/{repository}/security/code-scanning?query=pr:{number}",
                    server.trim_end_matches('/')
                ))
            }
            _ => None,
        };
        RenderOptions {
            sarif_category: self.sarif_category.clone(),
            subject_file,
            comment_header: self.comment_header.clone(),
            alerts_url,
        }
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

/// The guardrail store a command reads or writes (`gate`, `lock`, `verify`).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Guardrail store: s3://BUCKET[/PREFIX] (default prefix `guardrail/`), the
    /// provider's `store` block.
    #[arg(long, value_name = "URL")]
    pub store: String,

    /// S3 endpoint (R2: https://ACCOUNT.r2.cloudflarestorage.com); else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
}

impl StoreArgs {
    /// The store these flags name, checked before anything is read.
    pub fn config(&self) -> Result<StoreConfig, AttestError> {
        let mut config = parse_store_url(&self.store)?;
        config.endpoint = self.endpoint.clone();
        Ok(config)
    }
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
