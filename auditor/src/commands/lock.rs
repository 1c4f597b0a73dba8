//! `tfaudit lock status|release|takeover`: an environment's lock as an operator
//! sees it, and the two ways to unstick it that keep its fencing generation.
//!
//! The lock object (`locks/<environment>.json`) is never deleted: a delete would
//! start the generation again at 1 and hand the same fencing number out twice.
//! `release` writes the record back released (generation kept), `takeover` writes
//! a new record held by the operator with the next generation; both are
//! conditional on the ETag of the record the command read, and both leave an
//! audit record (`lock-release`, `lock-takeover`) naming who and why.
//!
//! Exit codes: 0 done (or nothing to do); 1 refused (the lock changed meanwhile,
//! there is no lock, or the store ignores conditional writes); 2 bad input.

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use guardrail_core::actor;
use guardrail_core::audit_record::{self, AuditRecord};
use guardrail_core::environment::EnvironmentName;
use guardrail_core::lock::{lock_key, LockError, LockRecord, Locks, OperatorRequest};
use guardrail_core::store::ObjectStore;
use guardrail_core::store::Store;
use serde_json::{json, Value};

use super::args::StoreArgs;
use super::error::CommandError;
use crate::attest::connect_config;

/// `tfaudit lock ...`
#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(subcommand)]
    pub action: LockAction,
}

#[derive(Debug, Subcommand)]
pub enum LockAction {
    /// Show the lock: holder, reason, acquired, expiry, generation, and whether it
    /// is live, expired or released.
    Status(Target),
    /// Release the lock whoever holds it: the record is written back released,
    /// its generation kept, and an audit record names who and why.
    Release(Change),
    /// Take the lock over: a new record held by you with the next generation, so
    /// the previous holder can no longer release or renew it; audited.
    Takeover(TakeoverArgs),
}

/// Which lock, in which store, printed how.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The environment whose lock this is, such as `production`.
    #[arg(long, value_name = "ENV")]
    pub environment: String,

    #[command(flatten)]
    pub location: StoreArgs,

    /// Format printed on stdout.
    #[arg(long, value_enum, default_value_t = LockFormat::Text)]
    pub format: LockFormat,
}

/// A release: the target and why.
#[derive(Debug, Clone, Args)]
pub struct Change {
    #[command(flatten)]
    pub target: Target,

    /// Why (required): recorded in the lock record and the audit trail.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,

    /// Incident or change ticket, recorded with the reason.
    #[arg(long, value_name = "TICKET")]
    pub ticket: Option<String>,
}

/// A takeover: a release's options and how long the new holder keeps the lock.
#[derive(Debug, Clone, Args)]
pub struct TakeoverArgs {
    #[command(flatten)]
    pub change: Change,

    /// How long you hold the lock (30m, 2h, 7d). Default: the current holder's
    /// expiry; required when the lock is expired or released.
    #[arg(long, value_name = "DURATION")]
    pub ttl: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LockFormat {
    Text,
    Json,
}

/// A connected store and the settings of one invocation.
struct Connected {
    environment: String,
    store: Store,
    url: String,
    format: LockFormat,
}

impl Connected {
    async fn open(target: &Target) -> Result<Connected, CommandError> {
        EnvironmentName::parse(&target.environment).map_err(|error| {
            CommandError::Usage(format!("--environment `{}`: {error}", target.environment))
        })?;
        let store = connect_config(&target.location.config()?).await?;
        let url = store.location().url();
        Ok(Connected {
            environment: target.environment.clone(),
            store,
            url,
            format: target.format,
        })
    }

    /// Operator actions judge expiry on the system clock, never a simulated one.
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn key(&self) -> String {
        format!("{}{}", self.url, lock_key(&self.environment))
    }

    async fn read(&self) -> Result<Option<LockRecord>, CommandError> {
        Locks::new(&self.store)
            .read(&self.environment)
            .await
            .map(|found| found.map(|(record, _)| record))
            .map_err(|error| CommandError::Other {
                context: format!("reading {}", self.key()),
                message: error.to_string(),
            })
    }

    /// The store's own check that it honours conditional writes, before a write.
    async fn check_conditional_writes(&self) -> Result<(), String> {
        self.store
            .verify_conditional_writes()
            .await
            .map_err(|error| error.to_string())
    }
}

/// Runs `tfaudit lock ...` and returns the exit code.
pub async fn run(args: LockArgs) -> Result<i32, CommandError> {
    match args.action {
        LockAction::Status(target) => status(&target).await,
        LockAction::Release(change) => release(&change).await,
        LockAction::Takeover(takeover_args) => takeover(&takeover_args).await,
    }
}

async fn status(target: &Target) -> Result<i32, CommandError> {
    let connected = Connected::open(target).await?;
    let record = connected.read().await?;
    match connected.format {
        LockFormat::Json => print_json(&json!({
            "environment": connected.environment,
            "key": connected.key(),
            "lock": record.as_ref().map(|r| view(r, connected.now())),
        })),
        LockFormat::Text => match &record {
            Some(record) => print!("{}", text(record, connected.now())),
            None => println!(
                "lock of {}: none (no lock record at {})",
                connected.environment,
                connected.key()
            ),
        },
    }
    Ok(0)
}

/// The operator's reason with the ticket, or a usage error naming `--reason`.
fn operator_reason(change: &Change, command: &str) -> Result<String, CommandError> {
    let reason = change
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|reason| !reason.is_empty())
        .ok_or_else(|| {
            CommandError::Usage(format!(
                "--reason is required for `tfaudit lock {command}`: say why, such as \
                 --reason \"INC-4711: the holder's CI job was cancelled\""
            ))
        })?;
    Ok(match change.ticket.as_deref().map(str::trim) {
        Some(ticket) if !ticket.is_empty() => format!("{reason} (ticket {ticket})"),
        _ => reason.to_string(),
    })
}

async fn release(change: &Change) -> Result<i32, CommandError> {
    let reason = operator_reason(change, "release")?;
    let connected = Connected::open(&change.target).await?;
    let Some(before) = connected.read().await? else {
        return refuse(&connected, "release", None, &no_lock(&connected));
    };
    if before.released_at.is_some() {
        eprintln!(
            "tfaudit: the lock of {} is already released; nothing was written",
            connected.environment
        );
        print_outcome(&connected, "release", &before, &before, None);
        return Ok(0);
    }
    if let Err(refusal) = connected.check_conditional_writes().await {
        return refuse(&connected, "release", Some(&before), &refusal);
    }
    let request = operator_request(&connected, &before, reason);
    let result = Locks::new(&connected.store)
        .force_release(&request, connected.now())
        .await;
    finish(&connected, "release", &before, &request, result).await
}

async fn takeover(args: &TakeoverArgs) -> Result<i32, CommandError> {
    let reason = operator_reason(&args.change, "takeover")?;
    let ttl = match args.ttl.as_deref() {
        Some(text) => Some(
            guardrail_core::duration::parse(text, guardrail_core::duration::MAX)
                .map_err(|error| CommandError::Usage(format!("--ttl: {error}")))?,
        ),
        None => None,
    };
    let connected = Connected::open(&args.change.target).await?;
    let Some(before) = connected.read().await? else {
        return refuse(&connected, "takeover", None, &no_lock(&connected));
    };
    let now = connected.now();
    let expires_at = match ttl {
        Some(ttl) => Some(now + chrono::Duration::from_std(ttl).unwrap_or_default()),
        None if before.is_live(now) => before.expires_at,
        None => {
            return Err(CommandError::Usage(format!(
                "the lock of {} is {}: a takeover keeping its expiry would hold nothing; \
                 pass --ttl (such as --ttl 2h) to say how long you hold it",
                connected.environment,
                before.status(now)
            )))
        }
    };
    if let Err(refusal) = connected.check_conditional_writes().await {
        return refuse(&connected, "takeover", Some(&before), &refusal);
    }
    let request = operator_request(&connected, &before, reason);
    let result = Locks::new(&connected.store)
        .takeover(&request, expires_at, now)
        .await;
    finish(&connected, "takeover", &before, &request, result).await
}

fn operator_request(connected: &Connected, before: &LockRecord, reason: String) -> OperatorRequest {
    OperatorRequest {
        environment: connected.environment.clone(),
        actor: actor::current(),
        reason,
        // Only the lock the operator was shown: anything newer is refused.
        expected_generation: Some(before.generation),
    }
}

fn no_lock(connected: &Connected) -> String {
    format!(
        "there is no lock record at {}: check --environment and --store",
        connected.key()
    )
}

/// Audits and prints a written record, or explains a refusal.
async fn finish(
    connected: &Connected,
    operation: &str,
    before: &LockRecord,
    request: &OperatorRequest,
    result: Result<LockRecord, LockError>,
) -> Result<i32, CommandError> {
    let written = match result {
        Ok(written) => written,
        Err(LockError::Store(error)) => {
            return Err(CommandError::Other {
                context: format!("{operation} of {}", connected.key()),
                message: error.to_string(),
            })
        }
        Err(error) => return refuse(connected, operation, Some(before), &error.to_string()),
    };
    let action = format!("lock-{operation}");
    let entry = AuditRecord::lock_operation(
        &action,
        &written,
        connected.now(),
        vec![request.reason.clone()],
        None,
    );
    match audit_record::write(&connected.store, &entry).await {
        Ok(key) => {
            print_outcome(connected, operation, before, &written, Some(&key));
            Ok(0)
        }
        Err(error) => {
            print_outcome(connected, operation, before, &written, None);
            eprintln!(
                "tfaudit: the {operation} of the lock of {} is done, but its audit record could \
                 not be written: {error}",
                connected.environment
            );
            Ok(1)
        }
    }
}

fn refuse(
    connected: &Connected,
    operation: &str,
    before: Option<&LockRecord>,
    why: &str,
) -> Result<i32, CommandError> {
    eprintln!(
        "tfaudit: lock {operation} of {} refused: {why}",
        connected.environment
    );
    if connected.format == LockFormat::Json {
        print_json(&json!({
            "action": operation,
            "environment": connected.environment,
            "refused": why,
            "lock": before.map(|r| view(r, connected.now())),
        }));
    }
    Ok(1)
}

fn print_outcome(
    connected: &Connected,
    operation: &str,
    before: &LockRecord,
    written: &LockRecord,
    audit_key: Option<&str>,
) {
    let now = connected.now();
    match connected.format {
        LockFormat::Json => print_json(&json!({
            "action": operation,
            "environment": connected.environment,
            "key": connected.key(),
            "previous": view(before, now),
            "lock": view(written, now),
            "audit_record": audit_key,
        })),
        LockFormat::Text => {
            let done = match operation {
                "release" => "released",
                _ => "taken over",
            };
            if written != before {
                println!(
                    "lock of {} {done} (was held by {}, generation {})",
                    connected.environment, before.owner, before.generation
                );
            }
            print!("{}", text(written, now));
            if let Some(key) = audit_key {
                println!("  audit:      {}{key}", connected.url);
            }
        }
    }
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON serialises")
    );
}

fn view(record: &LockRecord, now: DateTime<Utc>) -> Value {
    json!({
        "status": record.status(now),
        "holder": record.owner,
        "reason": record.reason,
        "acquired_at": record.acquired_at.to_rfc3339(),
        "expires_at": record.expires_at.map(|at| at.to_rfc3339()),
        "generation": record.generation,
        "lock_id": record.lock_id,
        "released_at": record.released_at.map(|at| at.to_rfc3339()),
        "released_by": record.released_by,
        "release_reason": record.release_reason,
    })
}

fn text(record: &LockRecord, now: DateTime<Utc>) -> String {
    let mut out = format!(
        "lock of {}: {}\n  holder:     {}\n  reason:     {}\n  acquired:   {}\n  expires:    {}\n  generation: {}\n  lock id:    {}\n",
        record.environment,
        record.status(now),
        record.owner,
        record.reason,
        record.acquired_at.to_rfc3339(),
        record
            .expires_at
            .map_or_else(|| "never".to_string(), |at| at.to_rfc3339()),
        record.generation,
        record.lock_id,
    );
    if let Some(at) = record.released_at {
        let by = record
            .released_by
            .as_ref()
            .map(|who| format!(" by {who}"))
            .unwrap_or_default();
        let why = record
            .release_reason
            .as_ref()
            .map(|why| format!(": {why}"))
            .unwrap_or_default();
        out.push_str(&format!("  released:   {}{by}{why}\n", at.to_rfc3339()));
    }
    out
}
