//! `tfaudit plan`: classify what a plan does, enforce budgets and rules, and
//! optionally sign an attestation for the change gate.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;

use super::args::OutputArgs;
use super::error::CommandError;
use crate::audit::{audit_with, AuditClock};
use crate::config::BudgetLimits;
use crate::plan as tfplan;
use crate::redact::Redactor;
use crate::report::{self, Format, Report};
use crate::{attest, policy, rules};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Plan to audit: the JSON of `terraform show -json PLANFILE`, `-` for stdin,
    /// or a binary plan file (rendered with `$TERRAFORM`, `terraform` or `tofu`).
    /// Sensitive values (variables, masked attributes, outputs, prior_state data
    /// sources) are redacted from every output, also in escaped forms.
    #[arg(value_name = "PLAN", default_value = "-")]
    pub plan: String,

    /// Folder of the configuration a binary plan file belongs to (where
    /// `terraform init` ran): `terraform show -json` runs there, as with
    /// Terraform's own `-chdir`. Relative paths are from the working folder.
    #[arg(long, value_name = "DIR")]
    pub chdir: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Ad-hoc budget merged with the declared ones: destroy=N,replace=N,changes=N.
    /// With `destroy` (or `replace`, for replacements) set, plan/destroy and
    /// plan/replace report at medium, since plan/budget-exceeded stops what goes
    /// beyond it; `changes` alone does not lower them.
    #[arg(long, value_name = "LIMITS")]
    pub budget: Option<String>,

    /// Rego policies evaluated against the plan JSON as `conftest test` does:
    /// `deny`, `violation`, `warn` (and `deny_*`, `violation_*`, `warn_*`) rules,
    /// results as strings or objects with `msg`, `exception`. The plan is then
    /// held in memory once.
    #[arg(long, value_name = "DIR")]
    pub policy: Option<PathBuf>,

    /// Policy package to evaluate, as conftest's --namespace (repeatable; `*`,
    /// `?` and `[...]` are globs, `*` matching dots too) [default: main]
    #[arg(long = "namespace", value_name = "NS", requires = "policy")]
    pub namespaces: Vec<String>,

    /// Evaluate every policy package, as conftest's --all-namespaces (wins over --namespace).
    #[arg(long, requires = "policy")]
    pub all_namespaces: bool,

    /// JSON or YAML data for the policies, as conftest's --data (repeatable): a file
    /// is merged at the root of `data`, a folder's files at their folder's path
    /// below it (`DIR/exceptions/list.yaml` is `data.exceptions`). A file that does
    /// not parse, or two that set the same key, stop the run (exit 2).
    #[arg(long = "data", value_name = "PATH", requires = "policy")]
    pub data: Vec<PathBuf>,

    /// Terraform configuration directory: findings point at the `.tf` file and line.
    #[arg(long, value_name = "DIR")]
    pub source_dir: Option<PathBuf>,

    /// Audit as if it were this time (RFC 3339) instead of the plan's `timestamp`:
    /// change windows, waiver and freeze expiry, and the attestation's lifetime use
    /// it. For labs and tests with a simulated clock, like the provider's; it is
    /// reported as `plan/clock-override`.
    #[arg(long, value_name = "TIMESTAMP", env = "GUARDRAIL_NOW")]
    pub now: Option<String>,

    #[command(flatten)]
    pub attestation: AttestArgs,
}

/// Attestation and store options of `tfaudit plan`.
#[derive(Debug, Clone, Args)]
pub struct AttestArgs {
    /// Sign and publish a pass attestation for every change gate in the plan
    /// (only when nothing unwaived reaches the fail threshold). The summary holds
    /// changes by action and findings by severity. The key, --report specs and
    /// report folders are checked first: a bad one exits 2 with nothing published.
    #[arg(long, requires_all = ["signing_key", "store"])]
    pub attest: bool,

    /// Ed25519 signing key: PKCS#8 PEM (see `tfaudit keygen`) or base64 of the 32-byte seed.
    #[arg(long, value_name = "FILE")]
    pub signing_key: Option<PathBuf>,

    /// Guardrail store: s3://BUCKET[/PREFIX] (default prefix `guardrail/`). With it,
    /// the live freeze of every environment in the plan is checked too.
    #[arg(long, value_name = "URL")]
    pub store: Option<String>,

    /// How long the attestation is valid: e.g. 30m, 24h, 7d.
    #[arg(long, value_name = "DURATION", default_value = attest::DEFAULT_TTL)]
    pub attestation_ttl: String,

    /// S3 endpoint (R2: https://ACCOUNT.r2.cloudflarestorage.com); else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
}

impl AttestArgs {
    /// The options as the attestation library takes them.
    pub fn options(&self) -> attest::AttestOptions {
        attest::AttestOptions {
            attest: self.attest,
            signing_key: self.signing_key.clone(),
            store: self.store.clone(),
            attestation_ttl: self.attestation_ttl.clone(),
            endpoint: self.endpoint.clone(),
        }
    }
}

/// Parses `--now` (absent or blank: no override).
pub fn clock_from_flag(now: Option<&str>) -> Result<AuditClock, CommandError> {
    let Some(text) = now.map(str::trim).filter(|text| !text.is_empty()) else {
        return Ok(AuditClock::default());
    };
    let at = DateTime::parse_from_rfc3339(text).map_err(|_| {
        CommandError::Usage(format!(
            "--now (or GUARDRAIL_NOW) is `{text}`: expected an RFC 3339 timestamp such as 2026-11-24T10:00:00+01:00"
        ))
    })?;
    Ok(AuditClock {
        overridden_at: Some(at.with_timezone(&Utc)),
    })
}

/// Runs the subcommand and returns the exit code.
pub async fn run(args: PlanArgs) -> Result<i32, CommandError> {
    let flag_budget = match &args.budget {
        Some(text) => BudgetLimits::parse_flag(text).map_err(CommandError::Usage)?,
        None => BudgetLimits::default(),
    };
    let attestation = args.attestation.options().validate()?;
    let attesting = attestation
        .as_ref()
        .is_some_and(|settings| settings.signing.is_some());
    // Everything that can fail is checked before an attestation is published:
    // report specs always, and with `--attest` that their folders take files.
    let destinations = super::output::destinations(&args.output)?;
    if attesting {
        check_report_destinations(&destinations.files)?;
    }
    let clock = clock_from_flag(args.now.as_deref())?;
    let config = super::config::load(args.output.config.as_deref())?;
    let source_map = match &args.source_dir {
        Some(dir) => Some(crate::source::SourceMap::load(dir)?),
        None => None,
    };

    let mut policies = match &args.policy {
        Some(dir) => {
            let options = policy::PolicyOptions {
                namespaces: args.namespaces.clone(),
                all_namespaces: args.all_namespaces,
                data: args.data.clone(),
            };
            let loaded = policy::Policies::load_with(dir, &options)?;
            for namespace in loaded.missing_namespaces() {
                eprintln!(
                    "tfaudit: warning: no policy under {} has package `{namespace}`; nothing is \
                     evaluated for it (choose packages with --namespace NS or --all-namespaces)",
                    dir.display()
                );
            }
            Some(loaded)
        }
        None => None,
    };

    let input = args.plan.clone();
    let chdir = args.chdir.clone();
    let with_bytes = policies.is_some();
    let started = std::time::Instant::now();
    let (loaded, plan_bytes) = tokio::task::spawn_blocking(move || {
        if with_bytes {
            let (bytes, subject) = tfplan::parse::read_all(&input, chdir.as_deref())?;
            let loaded = tfplan::parse::parse_slice(&bytes, &subject)?;
            Ok::<_, tfplan::parse::PlanError>((loaded, Some(bytes)))
        } else {
            Ok((tfplan::load(&input, chdir.as_deref())?, None))
        }
    })
    .await
    .map_err(|error| CommandError::Other {
        context: "reading the plan".into(),
        message: error.to_string(),
    })??;
    tracing::info!(
        bytes = loaded.size,
        resource_changes = loaded.plan.resource_changes.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "plan read"
    );

    let redactor = Redactor::for_plan(&loaded.plan);
    let freezes = match &attestation {
        Some(settings) => {
            let environments = crate::plan::resolve::environments(&loaded.plan, |name| {
                redactor.is_sensitive(name)
            });
            attest::freezes(settings, &environments, clock.now()).await?
        }
        None => Vec::new(),
    };
    let policy_findings = match (&mut policies, &plan_bytes) {
        (Some(policies), Some(bytes)) => {
            let text = String::from_utf8_lossy(bytes);
            let addresses = loaded
                .plan
                .resource_changes
                .iter()
                .map(|change| &*change.address)
                .collect();
            policies.evaluate(&text, &addresses)?
        }
        _ => Vec::new(),
    };
    drop(plan_bytes);
    let audit = audit_with(
        &loaded,
        &redactor,
        &config,
        flag_budget,
        &freezes,
        clock,
        policy_findings,
    );
    let mut findings = audit.findings;
    if let Some(map) = &source_map {
        crate::source::annotate(&mut findings, map);
    }
    // File paths are made relative to the repository where findings have them
    // (a source map) and where SARIF needs one for the audited file; `git` is
    // asked only then.
    let root = (source_map.is_some() || destinations.include(Format::Sarif))
        .then(|| args.output.repository_root())
        .flatten();
    if let Some(root) = &root {
        crate::source::rebase(&mut findings, root);
    }
    let fallback = args
        .source_dir
        .as_deref()
        .and_then(crate::source::configuration_file);
    let options =
        args.output
            .render_options(root.as_deref(), Some(&loaded.subject), fallback.as_deref());
    let fail_on = args.output.fail_on.or(config.fail_on);
    let report = Report {
        command: "plan",
        subject: loaded.subject.display().to_string(),
        summary: audit.summary,
        findings,
        rules: rules::infos(),
        fail_on,
        configuration: config.path.as_ref().map(|path| path.display().to_string()),
        options,
    };

    if let Some(settings) = attestation.as_ref().filter(|_| attesting) {
        let simulated = report
            .findings
            .iter()
            .any(|finding| finding.rule_id == rules::clock_override::INFO.id);
        if clock.overridden_at.is_some() || simulated {
            // Whatever --fail-on or the configuration says: an attestation vouches
            // for a change judged on the real clock, never on a simulated one.
            eprintln!(
                "tfaudit: attestation refused: the plan or the audit uses a simulated clock \
                 (provider `now`, --now or GUARDRAIL_NOW; see plan/clock-override); nothing was \
                 signed or published. Attest only on the system clock"
            );
            super::output::emit(&destinations, &report)?;
            return Ok(1);
        }
        if report.failed() {
            eprintln!(
                "tfaudit: attestation refused: {} finding(s) at or above `{}`; nothing was signed or published",
                report.failing_count(),
                report::threshold_name(report.threshold()),
            );
        } else {
            let summary = serde_json::json!({
                "changes": audit.changes.to_json(),
                "findings": crate::findings::count_by_severity(&report.findings),
            });
            // Issued on the system clock: no override reaches an attestation.
            let published = attest::attest_plan(settings, &loaded, &summary, Utc::now()).await?;
            if published.is_empty() {
                eprintln!(
                    "tfaudit: attestation refused: the plan has no {} with a known plan_id; nothing was signed",
                    rules::GATE_TYPE
                );
                super::output::emit(&destinations, &report)?;
                return Ok(1);
            }
            for key in &published {
                eprintln!("tfaudit: attestation published: {key}");
            }
        }
    }
    super::output::emit(&destinations, &report)?;
    let code = if report.failed() { 1 } else { 0 };
    free_in_background((loaded, report));
    Ok(code)
}

/// Frees a large plan and its report on a thread of its own: the answer is
/// ready, and the process may end before the records are freed one by one.
fn free_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("plan-free".into())
        .spawn(move || drop(value));
}

/// Checks that every `--report` file can be created: its folder, or the
/// nearest existing ancestor, is a folder that takes a new file. Nothing is
/// left behind.
fn check_report_destinations(specs: &[report::output::ReportSpec]) -> Result<(), CommandError> {
    for spec in specs {
        let mut folder = match spec.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        while !folder.exists() {
            match folder.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => folder = parent.to_path_buf(),
                _ => {
                    folder = PathBuf::from(".");
                    break;
                }
            }
        }
        let unusable = |problem: String| {
            CommandError::Usage(format!(
                "--report {}={}: {problem}; nothing was signed or published",
                spec.format,
                spec.path.display()
            ))
        };
        if !folder.is_dir() {
            return Err(unusable(format!("`{}` is not a folder", folder.display())));
        }
        if spec.path.is_dir() {
            return Err(unusable("the path is a folder".into()));
        }
        tempfile::Builder::new()
            .prefix(".tfaudit-check.")
            .tempfile_in(&folder)
            .map_err(|error| {
                unusable(format!("cannot write in `{}`: {error}", folder.display()))
            })?;
    }
    Ok(())
}
