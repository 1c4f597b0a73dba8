//! `tfaudit serve`: the read-only advisor (see [`crate::serve`]).

use std::path::PathBuf;

use clap::Args;

use super::error::CommandError;
use crate::serve::settings::{self, Overrides};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The advisor's settings (TOML): listen, interval, endpoint,
    /// guardrail_store, journal, hcloud_endpoint, hcloud_token_file,
    /// [environments.NAME] targets, window, refresh_plans and label_selector. Every
    /// flag below overrides the file.
    #[arg(long, env = "TFAUDIT_SERVE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "TFAUDIT_SERVE_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,

    /// Time between audit cycles [default: 5m].
    #[arg(long, env = "TFAUDIT_SERVE_INTERVAL", value_name = "DURATION")]
    pub interval: Option<String>,

    /// S3 endpoint of the state buckets and the store (else AWS_ENDPOINT_URL_S3,
    /// else AWS_ENDPOINT_URL). Read credentials come from the standard chain.
    #[arg(long, env = "TFAUDIT_SERVE_ENDPOINT", value_name = "URL")]
    pub endpoint: Option<String>,

    /// State targets of an environment, ENV=s3://bucket/prefix/ (repeatable;
    /// replaces the file's targets of ENV).
    #[arg(
        long = "target",
        env = "TFAUDIT_SERVE_TARGETS",
        value_delimiter = ',',
        value_name = "ENV=URL"
    )]
    pub targets: Vec<String>,

    /// The change window of an environment, ENV=FILE (HCL or JSON, as `tfaudit gate --window`).
    #[arg(
        long = "window",
        env = "TFAUDIT_SERVE_WINDOWS",
        value_delimiter = ',',
        value_name = "ENV=FILE"
    )]
    pub windows: Vec<String>,

    /// Where CI uploads an environment's refresh-only plans (JSON, as `tfaudit
    /// drift --refresh-plan` reads), ENV=s3://bucket/prefix/ (repeatable).
    #[arg(
        long = "refresh-plans",
        env = "TFAUDIT_SERVE_REFRESH_PLANS",
        value_delimiter = ',',
        value_name = "ENV=URL"
    )]
    pub refresh_plans: Vec<String>,

    /// Hetzner Cloud API base URL of live drift [default: the public API].
    #[arg(long, env = "HCLOUD_ENDPOINT", value_name = "URL")]
    pub hcloud_endpoint: Option<String>,

    /// Hetzner Cloud API token: with it, every cycle compares the states'
    /// hcloud_* resources with the API (live drift).
    #[arg(
        long,
        env = "HCLOUD_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub hcloud_token: Option<String>,

    /// The guardrail store, s3://BUCKET/PREFIX/ (locks, trail, attestations).
    #[arg(
        long,
        env = "TFAUDIT_SERVE_GUARDRAIL_STORE",
        value_name = "s3://BUCKET/PREFIX/"
    )]
    pub guardrail_store: Option<String>,

    /// The state journal (read only here), as `tfaudit state --journal`.
    #[arg(
        long,
        env = "TFAUDIT_SERVE_JOURNAL",
        value_name = "PATH|s3://bucket/prefix"
    )]
    pub journal: Option<String>,

    /// Age at which a state lock counts as stale [default: 2h].
    #[arg(long, env = "TFAUDIT_SERVE_STALE_LOCK_AFTER", value_name = "DURATION")]
    pub stale_lock_after: Option<String>,

    /// Objects fetched at once [default: 16].
    #[arg(long, env = "TFAUDIT_SERVE_CONCURRENCY", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: Option<u16>,

    /// The longest one object's read may take before it is a finding [default: 10s].
    #[arg(long, env = "TFAUDIT_SERVE_OBJECT_TIMEOUT", value_name = "DURATION")]
    pub object_timeout: Option<String>,

    /// The longest a cycle may take before it counts as failed [default: 2m].
    #[arg(long, env = "TFAUDIT_SERVE_CYCLE_TIMEOUT", value_name = "DURATION")]
    pub cycle_timeout: Option<String>,

    /// An OpenAI-compatible API (base URL, `/chat/completions` is appended) that
    /// phrases `/api/v1/summary`; off by default.
    #[arg(long, env = "TFAUDIT_SERVE_LLM_ENDPOINT", value_name = "URL")]
    pub llm_endpoint: Option<String>,

    /// The model named in requests to --llm-endpoint.
    #[arg(long, env = "TFAUDIT_SERVE_LLM_MODEL", value_name = "NAME")]
    pub llm_model: Option<String>,

    /// Bearer token required on /api/v1 (events excepted).
    #[arg(
        long,
        env = "TFAUDIT_SERVE_API_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub api_token: Option<String>,

    /// Secret of the GitHub webhook (X-Hub-Signature-256).
    #[arg(
        long,
        env = "TFAUDIT_SERVE_GITHUB_SECRET",
        hide_env_values = true,
        value_name = "SECRET"
    )]
    pub github_secret: Option<String>,

    /// Shared token of Flux notification-controller events.
    #[arg(
        long,
        env = "TFAUDIT_SERVE_FLUX_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub flux_token: Option<String>,
}

/// Runs the advisor until SIGTERM; exit code 0 then.
pub async fn run(args: ServeArgs) -> Result<i32, CommandError> {
    let overrides = Overrides {
        listen: args.listen,
        interval: args.interval,
        endpoint: args.endpoint,
        guardrail_store: args.guardrail_store,
        journal: args.journal,
        stale_lock_after: args.stale_lock_after,
        concurrency: args.concurrency,
        object_timeout: args.object_timeout,
        cycle_timeout: args.cycle_timeout,
        llm_endpoint: args.llm_endpoint,
        llm_model: args.llm_model,
        targets: args.targets,
        windows: args.windows,
        refresh_plans: args.refresh_plans,
        hcloud_endpoint: args.hcloud_endpoint,
        hcloud_token: args.hcloud_token,
        api_token: args.api_token,
        github_secret: args.github_secret,
        flux_token: args.flux_token,
    };
    let settings = settings::resolve(args.config.as_deref(), overrides)
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    crate::serve::run(settings)
        .await
        .map_err(|error| CommandError::Usage(error.to_string()))?;
    Ok(0)
}
