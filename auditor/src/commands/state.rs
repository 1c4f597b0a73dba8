//! `tfaudit state`: audits Terraform states, read-only.

use std::time::Duration;

use clap::Args;
use guardrail_core::store::{self, S3Settings};

use super::args::OutputArgs;
use super::error::CommandError;
use crate::report::{Format, Report};

use crate::state;

use state::journal::{Journal, JournalHistory, JournalRecord};
use state::target::Target;
use state::trail::{self, TrailRequest};
use state::{rules, source, AuditInput};

#[derive(Debug, Args)]
pub struct StateArgs {
    /// A local state file or folder, s3://bucket/key, or s3://bucket/prefix/
    /// (every *.tfstate below). Optional with --guardrail-store.
    #[arg(required_unless_present = "guardrail_store", value_name = "TARGET")]
    pub targets: Vec<String>,

    /// Also verify the guardrail store's audit trail, read-only: the store's
    /// s3://BUCKET/PREFIX/ (the provider's store.prefix; without a prefix,
    /// guardrail/). Removed, edited or unparsable records, spent markers that
    /// are gone, and lock objects no recorded lock operation wrote are
    /// critical trail/* findings. Uses --endpoint and the same credentials.
    #[arg(long, value_name = "s3://BUCKET/PREFIX/")]
    pub guardrail_store: Option<String>,

    /// An environment whose trail --guardrail-store verifies (repeatable)
    /// [default: every environment under audit/, audit-head/ and locks/].
    #[arg(long = "environment", value_name = "ENV", requires = "guardrail_store")]
    pub environments: Vec<String>,

    /// S3 endpoint (for R2: https://ACCOUNT.r2.cloudflarestorage.com); else
    /// AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL. Requests are path-style and
    /// signed for AWS_REGION, else the profile's region, else `auto`; credentials
    /// come from the standard chain.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// The state history: a JSON-lines file, or s3://bucket/prefix/ (one object
    /// per run). S3 journals use TFAUDIT_JOURNAL_ACCESS_KEY_ID,
    /// TFAUDIT_JOURNAL_SECRET_ACCESS_KEY and TFAUDIT_JOURNAL_ENDPOINT.
    #[arg(long, value_name = "PATH|s3://bucket/prefix")]
    pub journal: Option<String>,

    /// Age at which a lock counts as stale (e.g. 30m, 2h, 1d).
    #[arg(long, default_value = "2h", value_parser = stale_lock_after, value_name = "DURATION")]
    pub stale_lock_after: Duration,

    /// How many objects are fetched at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(args: StateArgs) -> Result<i32, CommandError> {
    // A bad --format/--report pair is refused before anything is read.
    let destinations = super::output::destinations(&args.output)?;
    let targets = args
        .targets
        .iter()
        .map(|text| Target::parse(text).map_err(CommandError::Usage))
        .collect::<Result<Vec<_>, _>>()?;
    let config = super::config::load(args.output.config.as_deref())?;
    let fail_on = args.output.fail_on.or(config.fail_on);
    let endpoint = args.endpoint.as_deref();
    let trail_request = match &args.guardrail_store {
        Some(url) => Some(TrailRequest::parse(url, &args.environments, endpoint)?),
        None => None,
    };
    let journal = match &args.journal {
        Some(spec) => Some(Journal::open(spec, endpoint).await?),
        None => None,
    };
    // An unreadable journal fails before anything is fetched.
    let history = match &journal {
        Some(journal) => journal.history().await?,
        None => JournalHistory::default(),
    };
    let needs_s3 = targets.iter().any(|t| !matches!(t, Target::Local(_)));
    let client = if needs_s3 {
        Some(store::connect(&S3Settings::with_endpoint(endpoint)).await)
    } else {
        None
    };

    let started = std::time::Instant::now();
    let bar = super::progress::ObjectsBar::start("reading states");
    let mut collected = source::collect(
        &targets,
        client.as_ref(),
        usize::from(args.concurrency),
        Some(rules::per_state),
        &bar,
    )
    .await?;
    bar.finish();
    tracing::info!(
        states = collected.states.len(),
        unreadable = collected.unreadable.len(),
        locks = collected.locks.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "states collected"
    );
    let per_state_findings = std::mem::take(&mut collected.findings);
    let now = chrono::Utc::now();
    let input = AuditInput {
        states: &collected.states,
        unreadable: &collected.unreadable,
        locks: &collected.locks,
        history: &history,
        now,
        stale_lock_after: args.stale_lock_after,
    };
    let mut findings = per_state_findings;
    findings.extend(rules::across_states(&input));
    let trail_audit = match &trail_request {
        Some(request) => Some(trail::audit(request).await?),
        None => None,
    };
    if let Some(trail_audit) = &trail_audit {
        findings.extend(trail_audit.findings.iter().cloned());
    }
    config.apply(&mut findings, now.date_naive());

    let mut summary = serde_json::Map::new();
    summary.insert("states".into(), collected.states.len().into());
    summary.insert("unreadable".into(), collected.unreadable.len().into());
    summary.insert("locks".into(), collected.locks.len().into());
    summary.insert(
        "resources".into(),
        collected
            .states
            .iter()
            .map(|s| s.state.instance_count())
            .sum::<usize>()
            .into(),
    );
    if let Some(trail_audit) = &trail_audit {
        summary.insert(
            "trail_environments".into(),
            trail_audit.environments.len().into(),
        );
        summary.insert("trail_records".into(), trail_audit.chained_records.into());
        summary.insert(
            "trail_legacy_records".into(),
            trail_audit.legacy_records.into(),
        );
    }
    if let Some(journal) = &journal {
        let records: Vec<JournalRecord> = collected
            .states
            .iter()
            .map(|loaded| JournalRecord::from_state(loaded, now))
            .collect();
        let written = journal.append(&records, now).await?;
        summary.insert("journal".into(), written.into());
        summary.insert("journal_records_before".into(), history.len().into());
    }

    let subject = args
        .targets
        .iter()
        .cloned()
        .chain(trail_request.as_ref().map(TrailRequest::location))
        .collect::<Vec<_>>()
        .join(" ");
    let report = Report {
        command: "state",
        subject,
        summary,
        findings,
        rules: rules::infos()
            .into_iter()
            .chain(trail::INFOS)
            .chain([crate::config::WAIVER_EXPIRED])
            .collect(),
        fail_on,
        configuration: config.path.as_ref().map(|path| path.display().to_string()),
        options: args.output.render_options(
            destinations
                .include(Format::Sarif)
                .then(|| args.output.repository_root())
                .flatten()
                .as_deref(),
            local_file(&args.targets),
            None,
        ),
    };
    super::output::emit(&destinations, &report)?;
    Ok(if report.failed() { 1 } else { 0 })
}

/// `--stale-lock-after`: the grammar of every guardrail duration.
fn stale_lock_after(text: &str) -> Result<std::time::Duration, String> {
    guardrail_core::duration::parse(text, guardrail_core::duration::MAX)
        .map_err(|error| error.to_string())
}

/// The one target when it is a local file (the SARIF artifact of findings
/// without a `.tf` location).
fn local_file(targets: &[String]) -> Option<&std::path::Path> {
    match targets {
        [target] if !target.contains("://") => {
            let path = std::path::Path::new(target);
            path.is_file().then_some(path)
        }
        _ => None,
    }
}
