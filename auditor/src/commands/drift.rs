//! `tfaudit drift`: compares state with the cloud, from a refresh-only plan or
//! live through the Hetzner Cloud API (`HCLOUD_TOKEN`).

use std::path::PathBuf;

use clap::Args;
use guardrail_core::store::S3Settings;

use super::args::OutputArgs;
use super::error::CommandError;
use crate::report::{Format, Report};

use crate::{drift, hcloud};

use crate::state as state_audit;
use drift::ignore::IgnoreList;
use drift::DriftError;
use state_audit::target::Target;

/// The environment variable holding the Hetzner Cloud API token.
pub const TOKEN_VAR: &str = "HCLOUD_TOKEN";

/// What `tfaudit drift --help` adds after the options.
const AFTER_HELP: &str = "\
Sources (either or both):
  --refresh-plan PLAN_JSON        resource_drift of `terraform plan -refresh-only`; no token
  --state TARGET + HCLOUD_TOKEN   live: every hcloud_* resource of the states is looked up
                                  in the Hetzner Cloud API (drift/missing, drift/changed,
                                  drift/unmanaged)
With --state and --refresh-plan but no HCLOUD_TOKEN, the live check is skipped and a
warning says so; with HCLOUD_TOKEN set and only --refresh-plan, only the plan is read.

drift/unmanaged: objects matching a label selector that no audited state manages. Without
--label-selector, the selector is the labels every hcloud_server in the states carries
with the same value (e.g. cluster=prod,engine=k3s); when the servers share none, the check
is skipped and the summary's unmanaged_selector says why.

Listings follow meta.pagination; more than 1000 pages for one type is an error (exit 2),
never a partial comparison. A 429 is retried (4 attempts in all) after Retry-After or
RateLimit-Reset, at most 60 s a wait. A rejected token is exit 2; it is never printed.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct DriftArgs {
    /// A state to compare live (repeatable): a local file or folder, s3://bucket/key,
    /// or s3://bucket/prefix/. Needs HCLOUD_TOKEN.
    #[arg(long = "state", value_name = "TARGET")]
    pub states: Vec<String>,

    /// A refresh-only plan in JSON (`terraform show -json PLAN`).
    #[arg(long, value_name = "PLAN_JSON")]
    pub refresh_plan: Option<PathBuf>,

    /// Hetzner Cloud API base URL (the token comes from HCLOUD_TOKEN).
    #[arg(long, env = "HCLOUD_ENDPOINT", default_value = hcloud::DEFAULT_ENDPOINT, value_name = "URL")]
    pub hcloud_endpoint: String,

    /// Report resources matching this label selector (e.g. `cluster=prod`,
    /// `role in (agent,server)`, `!temporary`) that no audited state manages
    /// [default: the labels every managed server shares].
    #[arg(long, value_name = "SELECTOR")]
    pub label_selector: Option<String>,

    /// S3 endpoint for s3:// states; else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// How many state objects are fetched at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(args: DriftArgs) -> Result<i32, CommandError> {
    let token = std::env::var(TOKEN_VAR)
        .ok()
        .filter(|token| !token.trim().is_empty());
    let mut summary = serde_json::Map::new();
    let live_token = match (token, args.states.is_empty(), &args.refresh_plan) {
        (None, _, None) => {
            return Err(CommandError::Usage(format!(
                "nothing to compare with: give --refresh-plan PLAN_JSON, or set {TOKEN_VAR} for live drift"
            )))
        }
        (Some(_), true, None) => {
            return Err(CommandError::Usage(
                "live drift needs the states to compare: give --state TARGET".into(),
            ))
        }
        (None, false, Some(_)) => {
            tracing::warn!(
                "{TOKEN_VAR} is not set: the live check of --state {} is skipped; only the refresh-only plan is compared",
                args.states.join(" ")
            );
            summary.insert("live".into(), format!("skipped: {TOKEN_VAR} is not set").into());
            None
        }
        (Some(_), true, Some(_)) => {
            summary.insert("live".into(), "not run: no --state given".into());
            None
        }
        (token, _, _) => token,
    };
    if args.label_selector.is_some() && live_token.is_none() {
        return Err(CommandError::Usage(format!(
            "--label-selector needs live drift: set {TOKEN_VAR} and give --state TARGET"
        )));
    }
    let destinations = super::output::destinations(&args.output)?;
    let targets = args
        .states
        .iter()
        .map(|text| Target::parse(text).map_err(CommandError::Usage))
        .collect::<Result<Vec<_>, _>>()?;
    let config = super::config::load(args.output.config.as_deref())?;
    let ignore = IgnoreList::new(config.drift_ignore.clone());
    let fail_on = args.output.fail_on.or(config.fail_on);

    let mut findings = Vec::new();
    if let Some(plan) = &args.refresh_plan {
        let refresh = drift::refresh::from_file(plan, &ignore)?;
        summary.insert("refresh_drifted".into(), refresh.drifted.into());
        findings.extend(refresh.findings);
    }
    if let Some(token) = live_token {
        let endpoint = args.endpoint.as_deref();
        let needs_s3 = targets.iter().any(|t| !matches!(t, Target::Local(_)));
        let s3 = if needs_s3 {
            Some(guardrail_core::store::connect(&S3Settings::with_endpoint(endpoint)).await)
        } else {
            None
        };
        let bar = super::progress::ObjectsBar::start("reading states");
        let collected = state_audit::source::collect(
            &targets,
            s3.as_ref(),
            usize::from(args.concurrency),
            None,
            &bar,
        )
        .await?;
        bar.finish();
        findings.extend(state_audit::rules::unreadable::check(
            &state_audit::AuditInput {
                states: &collected.states,
                unreadable: &collected.unreadable,
                locks: &[],
                history: &Default::default(),
                now: chrono::Utc::now(),
                stale_lock_after: std::time::Duration::MAX,
            },
        ));
        let client = hcloud::Client::new(
            &args.hcloud_endpoint,
            token,
            hcloud::ClientOptions::default(),
        )
        .map_err(DriftError::from)?;
        let live = drift::live::compare(
            &client,
            &collected.states,
            args.label_selector.as_deref(),
            &ignore,
        )
        .await?;
        summary.insert("states".into(), collected.states.len().into());
        summary.insert("resources_checked".into(), live.checked.into());
        summary.insert("cloud_objects".into(), live.cloud_objects.into());
        summary.insert(
            "unmanaged_selector".into(),
            match &live.selector {
                drift::live::Selector::Given(selector) => selector.clone(),
                drift::live::Selector::Derived(selector) => {
                    format!("{selector} (shared by the managed servers)")
                }
                drift::live::Selector::None(reason) => format!("none: {reason}"),
            }
            .into(),
        );
        findings.extend(live.findings);
    }
    for rule in ["drift/missing", "drift/changed", "drift/unmanaged"] {
        let count = findings.iter().filter(|f| f.rule_id == rule).count();
        summary.insert(rule.trim_start_matches("drift/").into(), count.into());
    }

    config.apply(&mut findings, chrono::Utc::now().date_naive());
    let report = Report {
        command: "drift",
        subject: match (&args.refresh_plan, args.states.is_empty()) {
            (Some(plan), true) => plan.display().to_string(),
            (Some(plan), false) => format!("{} {}", plan.display(), args.states.join(" ")),
            (None, _) => args.states.join(" "),
        },
        summary,
        findings,
        rules: drift::rules::infos(),
        fail_on,
        configuration: config.path.as_ref().map(|path| path.display().to_string()),
        options: args.output.render_options(
            destinations
                .include(Format::Sarif)
                .then(|| args.output.repository_root())
                .flatten()
                .as_deref(),
            args.refresh_plan
                .as_deref()
                .filter(|_| args.states.is_empty()),
            None,
        ),
    };
    super::output::emit(&destinations, &report)?;
    Ok(if report.failed() { 1 } else { 0 })
}
