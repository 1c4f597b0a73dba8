//! What the advisor is told: the `advisor.toml` file, each of whose settings a
//! flag or an environment variable may override, resolved into [`Settings`]
//! once at start. Every problem names the file (or flag), the field and what
//! was expected.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use guardrail_core::environment::EnvironmentName;
use guardrail_core::window::ChangeWindow;
use serde::Deserialize;

use super::ServeError;
use crate::state::target::Target;

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default time between two audit cycles.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(300);

/// The file, as written. Every field is optional: flags and variables fill in.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub listen: Option<String>,
    pub interval: Option<String>,
    pub endpoint: Option<String>,
    pub guardrail_store: Option<String>,
    pub journal: Option<String>,
    pub stale_lock_after: Option<String>,
    pub concurrency: Option<u16>,
    pub object_timeout: Option<String>,
    pub cycle_timeout: Option<String>,
    pub llm_endpoint: Option<String>,
    pub llm_model: Option<String>,
    /// Files holding the secrets (a mounted Kubernetes Secret), never the secrets.
    pub api_token_file: Option<PathBuf>,
    pub github_secret_file: Option<PathBuf>,
    pub flux_token_file: Option<PathBuf>,
    /// Live drift: the Hetzner Cloud API (default the public one) and a file
    /// holding its token (else `HCLOUD_TOKEN`); without a token, no live drift.
    pub hcloud_endpoint: Option<String>,
    pub hcloud_token_file: Option<PathBuf>,
    #[serde(default)]
    pub environments: BTreeMap<String, FileEnvironment>,
}

/// `[environments.NAME]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEnvironment {
    #[serde(default)]
    pub targets: Vec<String>,
    pub window: Option<PathBuf>,
    /// `s3://bucket/prefix/` of the refresh-only plans CI uploads (JSON, one
    /// object per root module, replaced each run).
    pub refresh_plans: Option<String>,
    /// The label selector of `drift/unmanaged` [default: the labels every
    /// managed server shares].
    pub label_selector: Option<String>,
}

/// What the command line and the environment said (already merged by clap).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub interval: Option<String>,
    pub endpoint: Option<String>,
    pub guardrail_store: Option<String>,
    pub journal: Option<String>,
    pub stale_lock_after: Option<String>,
    pub concurrency: Option<u16>,
    pub object_timeout: Option<String>,
    pub cycle_timeout: Option<String>,
    pub llm_endpoint: Option<String>,
    pub llm_model: Option<String>,
    /// `ENV=s3://bucket/prefix/`, repeatable; replaces the file's targets of ENV.
    pub targets: Vec<String>,
    /// `ENV=FILE`
    pub windows: Vec<String>,
    /// `ENV=s3://bucket/prefix/`
    pub refresh_plans: Vec<String>,
    pub hcloud_endpoint: Option<String>,
    pub hcloud_token: Option<String>,
    pub api_token: Option<String>,
    pub github_secret: Option<String>,
    pub flux_token: Option<String>,
}

/// A secret: never printed, never serialised.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// One environment under audit.
#[derive(Debug, Clone)]
pub struct EnvironmentSettings {
    pub name: String,
    pub targets: Vec<Target>,
    pub window: Option<ChangeWindow>,
    pub refresh_plans: Option<Target>,
    pub label_selector: Option<String>,
}

/// Live drift through the Hetzner Cloud API.
#[derive(Debug, Clone)]
pub struct HcloudSettings {
    pub endpoint: String,
    pub token: Secret,
}

/// Everything resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub interval: Duration,
    pub endpoint: Option<String>,
    pub guardrail_store: Option<String>,
    pub journal: Option<String>,
    pub stale_lock_after: Duration,
    pub concurrency: usize,
    pub object_timeout: Duration,
    pub cycle_timeout: Duration,
    pub llm_endpoint: Option<String>,
    pub llm_model: String,
    pub environments: Vec<EnvironmentSettings>,
    pub hcloud: Option<HcloudSettings>,
    pub api_token: Option<Secret>,
    pub github_secret: Option<Secret>,
    pub flux_token: Option<Secret>,
}

fn invalid(file: &str, field: &str, expected: impl Into<String>) -> ServeError {
    ServeError::Config {
        file: file.to_owned(),
        field: field.to_owned(),
        expected: expected.into(),
    }
}

/// Reads `path` (when given) and resolves every setting.
pub fn resolve(path: Option<&Path>, overrides: Overrides) -> Result<Settings, ServeError> {
    let (origin, file) = match path {
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|error| invalid(&shown, "(file)", format!("a readable file ({error})")))?;
            let file: FileSettings = toml::from_str(&text).map_err(|error| {
                let line = error
                    .span()
                    .map(|span| text[..span.start].matches('\n').count() + 1)
                    .unwrap_or(1);
                ServeError::ConfigSyntax {
                    file: shown.clone(),
                    line,
                    message: error.message().to_owned(),
                }
            })?;
            (shown, file)
        }
        None => ("(command line)".to_owned(), FileSettings::default()),
    };
    let from = |flag: &str| {
        if path.is_some() {
            origin.clone()
        } else {
            format!("--{flag}")
        }
    };
    let listen_text = overrides
        .listen
        .or(file.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen: SocketAddr = listen_text.parse().map_err(|_| {
        invalid(
            &from("listen"),
            "listen",
            format!("an address and port like 127.0.0.1:8080, got `{listen_text}`"),
        )
    })?;
    let duration = |value: Option<String>, field: &str, default: Duration| match value {
        None => Ok(default),
        Some(text) => guardrail_core::duration::parse(&text, guardrail_core::duration::MAX)
            .map_err(|error| {
                invalid(
                    &from(&field.replace('_', "-")),
                    field,
                    format!("a duration like 30s, 5m or 2h ({error})"),
                )
            }),
    };
    let interval = duration(
        overrides.interval.or(file.interval),
        "interval",
        DEFAULT_INTERVAL,
    )?;
    if interval < Duration::from_secs(1) {
        return Err(invalid(&from("interval"), "interval", "at least 1s"));
    }
    let stale_lock_after = duration(
        overrides.stale_lock_after.or(file.stale_lock_after),
        "stale_lock_after",
        Duration::from_secs(2 * 3600),
    )?;
    let object_timeout = duration(
        overrides.object_timeout.or(file.object_timeout),
        "object_timeout",
        Duration::from_secs(10),
    )?;
    let cycle_timeout = duration(
        overrides.cycle_timeout.or(file.cycle_timeout),
        "cycle_timeout",
        Duration::from_secs(120),
    )?;
    let concurrency = overrides.concurrency.or(file.concurrency).unwrap_or(16);
    if concurrency == 0 {
        return Err(invalid(&from("concurrency"), "concurrency", "1 to 1024"));
    }

    let mut environments: BTreeMap<String, FileEnvironment> = file.environments;
    let mut replaced = std::collections::BTreeSet::new();
    for pair in &overrides.targets {
        let (name, url) = pair.split_once('=').ok_or_else(|| {
            invalid(
                "--target",
                "target",
                format!("ENV=s3://bucket/prefix/, got `{pair}`"),
            )
        })?;
        let entry = environments.entry(name.to_owned()).or_default();
        if replaced.insert(name.to_owned()) {
            entry.targets.clear();
        }
        entry.targets.push(url.to_owned());
    }
    for pair in &overrides.windows {
        let (name, file) = pair
            .split_once('=')
            .ok_or_else(|| invalid("--window", "window", format!("ENV=FILE, got `{pair}`")))?;
        environments.entry(name.to_owned()).or_default().window = Some(PathBuf::from(file));
    }
    for pair in &overrides.refresh_plans {
        let (name, url) = pair.split_once('=').ok_or_else(|| {
            invalid(
                "--refresh-plans",
                "refresh_plans",
                format!("ENV=s3://bucket/prefix/, got `{pair}`"),
            )
        })?;
        environments
            .entry(name.to_owned())
            .or_default()
            .refresh_plans = Some(url.to_owned());
    }
    let guardrail_store = overrides.guardrail_store.or(file.guardrail_store);
    if let Some(url) = &guardrail_store {
        guardrail_core::store::StoreConfig::from_url(url)
            .map_err(|problem| invalid(&from("guardrail-store"), "guardrail_store", problem))?;
    }
    if environments.is_empty() {
        return Err(invalid(
            &origin,
            "environments",
            "at least one environment ([environments.NAME] targets = [\"s3://bucket/prefix/\"], or --target ENV=URL)",
        ));
    }
    let mut resolved = Vec::new();
    for (name, environment) in environments {
        let FileEnvironment {
            targets,
            window,
            refresh_plans,
            label_selector,
        } = environment;
        let field = format!("environments.{name}");
        EnvironmentName::parse(&name)
            .map_err(|error| invalid(&origin, &field, error.to_string()))?;
        if targets.is_empty() && guardrail_store.is_none() {
            return Err(invalid(
                &origin,
                &format!("{field}.targets"),
                "at least one s3:// target (or a guardrail_store)",
            ));
        }
        let targets = targets
            .iter()
            .map(|text| match Target::parse(text) {
                Ok(Target::Local(_)) => Err(format!("an s3:// URL, got `{text}`")),
                Ok(target) => Ok(target),
                Err(problem) => Err(problem),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|problem| invalid(&origin, &format!("{field}.targets"), problem))?;
        let window = match window {
            Some(path) => Some(crate::window_file::load(&path).map_err(|error| {
                invalid(&origin, &format!("{field}.window"), error.to_string())
            })?),
            None => None,
        };
        let refresh_plans = match refresh_plans {
            None => None,
            Some(text) => match Target::parse(&text) {
                Ok(Target::S3Prefix { bucket, prefix }) => {
                    Some(Target::S3Prefix { bucket, prefix })
                }
                Ok(Target::S3Object { bucket, key }) => Some(Target::S3Prefix {
                    bucket,
                    prefix: format!("{key}/"),
                }),
                _ => {
                    return Err(invalid(
                        &origin,
                        &format!("{field}.refresh_plans"),
                        format!("an s3://bucket/prefix/ URL, got `{text}`"),
                    ))
                }
            },
        };
        resolved.push(EnvironmentSettings {
            name,
            targets,
            window,
            refresh_plans,
            label_selector: label_selector.filter(|s| !s.trim().is_empty()),
        });
    }
    let secret = |given: Option<String>, file: Option<PathBuf>, field: &str| {
        if let Some(value) = given.filter(|v| !v.is_empty()) {
            return Ok(Some(Secret(value)));
        }
        match file {
            None => Ok(None),
            Some(path) => std::fs::read_to_string(&path)
                .map(|text| Some(Secret(text.trim().to_owned())))
                .map_err(|error| {
                    invalid(
                        &origin,
                        field,
                        format!("a readable file at {} ({error})", path.display()),
                    )
                }),
        }
    };
    let hcloud = secret(
        overrides.hcloud_token,
        file.hcloud_token_file,
        "hcloud_token_file",
    )?
    .filter(|token| !token.expose().is_empty())
    .map(|token| HcloudSettings {
        endpoint: overrides
            .hcloud_endpoint
            .or(file.hcloud_endpoint)
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| crate::hcloud::DEFAULT_ENDPOINT.to_owned()),
        token,
    });
    Ok(Settings {
        listen,
        interval,
        endpoint: overrides
            .endpoint
            .or(file.endpoint)
            .filter(|e| !e.is_empty()),
        guardrail_store,
        journal: overrides.journal.or(file.journal),
        stale_lock_after,
        concurrency: usize::from(concurrency),
        object_timeout,
        cycle_timeout,
        llm_endpoint: overrides.llm_endpoint.or(file.llm_endpoint),
        llm_model: overrides
            .llm_model
            .or(file.llm_model)
            .unwrap_or_else(|| "default".to_owned()),
        environments: resolved,
        hcloud,
        api_token: secret(overrides.api_token, file.api_token_file, "api_token_file")?,
        github_secret: secret(
            overrides.github_secret,
            file.github_secret_file,
            "github_secret_file",
        )?,
        flux_token: secret(
            overrides.flux_token,
            file.flux_token_file,
            "flux_token_file",
        )?,
    })
}
