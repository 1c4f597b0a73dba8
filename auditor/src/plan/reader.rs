//! Reading the plan object member by member ([`super::scanner`] does the
//! scanning): the members a rule reads are deserialized into [`Plan`], every
//! element of `resource_changes` into a compact record (a change whose
//! `actions` Terraform never writes stops the read), `prior_state` is walked
//! ([`super::prior_state`]), and every masked value goes to the one sink
//! ([`super::secrets`]).

use std::io::Read;

use serde::de::IgnoredAny;

use super::change::ChangeReader;
use super::model::Plan;
use super::prior_state;
use super::retention::Retention;
use super::scanner::{Result, Scanner, DEFAULT_BUFFER};
use super::secrets::SecretCollector;
use crate::input_kind::InputKind;

/// Members skipped without deserializing.
const SKIPPED: [&str; 2] = ["planned_values", "checks"];

/// Reads a whole plan from `reader`, keeping the values
/// [`Retention::AUDIT`] lists.
pub fn read_plan(reader: impl Read) -> Result<Plan> {
    read_plan_buffered(reader, DEFAULT_BUFFER)
}

/// [`read_plan`] with a read buffer of `buffer` bytes (at least 16): smaller
/// buffers walk more of the skipped members container by container.
pub fn read_plan_buffered(reader: impl Read, buffer: usize) -> Result<Plan> {
    read_plan_and_kind(reader, buffer, &Retention::AUDIT).map(|(plan, _)| plan)
}

/// [`read_plan_buffered`], keeping the values `retention` lists, and what kind of document it is from its top-level
/// members ([`InputKind`]).
pub fn read_plan_and_kind(
    reader: impl Read,
    buffer: usize,
    retention: &Retention,
) -> Result<(Plan, InputKind)> {
    let mut scanner = Scanner::new(reader, buffer);
    let mut collector = SecretCollector::default();
    let mut plan = Plan::default();
    let kind = match read_members(&mut scanner, &mut collector, retention, &mut plan) {
        Ok(kind) => kind,
        Err(error) => {
            // The collecting thread is let finish; the read's error is the one.
            let _ = collector.finish();
            return Err(error);
        }
    };
    plan.sensitive_strings.extend(collector.finish()?);
    // The records outlive the read: give back what the growth reserved.
    plan.resource_changes.shrink_to_fit();
    plan.resource_drift.shrink_to_fit();
    Ok((plan, kind))
}

/// Reads the plan object into `plan`, handing what holds sensitive values to
/// `collector`; returns the kind of document its members make it.
fn read_members<R: Read>(
    scanner: &mut Scanner<R>,
    collector: &mut SecretCollector,
    retention: &Retention,
    plan: &mut Plan,
) -> Result<InputKind> {
    match scanner.skip_whitespace()? {
        Some(b'{') => scanner.consume(1),
        Some(_) => {
            return scanner
                .error("expected a JSON object (the output of `terraform show -json PLANFILE`)")
        }
        None => return scanner.error("EOF while parsing a value"),
    }
    let mut first = true;
    let mut members = Vec::new();
    while let Some(name) = scanner.member_name(first, None)? {
        first = false;
        members.push(name.clone());
        match name.as_str() {
            "format_version" => plan.format_version = scanner.parse(&name)?,
            "terraform_version" => plan.terraform_version = scanner.parse(&name)?,
            "timestamp" => plan.timestamp = scanner.parse(&name)?,
            "complete" => plan.complete = scanner.parse(&name)?,
            "errored" => plan.errored = scanner.parse::<Option<bool>>(&name)?.unwrap_or(false),
            "applyable" => plan.applyable = scanner.parse(&name)?,
            "resource_changes" => scanner.array_or_null(&name, |scanner| {
                let mut reader = ChangeReader {
                    sink: &mut *collector,
                    retention,
                };
                scanner.skip_whitespace()?;
                let start = scanner.mark();
                match scanner.parse_borrowed(&name, &mut reader)? {
                    Ok(change) => plan.resource_changes.push(change),
                    Err(invalid) => {
                        // A change that cannot be counted is never dropped.
                        let index = plan.resource_changes.len();
                        let field = format!("resource_changes[{index}].change.actions");
                        return scanner.error_at(start, invalid.message(&field));
                    }
                }
                collector.check()
            })?,
            "resource_drift" => {
                let drift = &mut plan.resource_drift;
                scanner.array_with(&name, |change| drift.push(change))?
            }
            "relevant_attributes" => {
                plan.relevant_attributes = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            "output_changes" => {
                plan.output_changes = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            "variables" => plan.variables = scanner.parse::<Option<_>>(&name)?.unwrap_or_default(),
            "configuration" => {
                plan.configuration = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            "deferred_changes" => {
                plan.deferred_changes = scanner.parse::<Option<_>>(&name)?.unwrap_or_default()
            }
            "prior_state" => prior_state::read(scanner, collector)?,
            other => {
                if other == "planned_values" {
                    plan.planned_values = Some(IgnoredAny);
                }
                if !SKIPPED.contains(&other) {
                    tracing::trace!(member = other, "skipping a plan member no rule reads");
                }
                scanner.skip(&name, 0)?;
            }
        }
    }
    if scanner.skip_whitespace()?.is_some() {
        return scanner.error("trailing characters");
    }
    // Members Terraform would have left out (null, empty lists) count as absent.
    Ok(InputKind::from_members(
        members
            .iter()
            .map(String::as_str)
            .filter(|name| match *name {
                "format_version" => plan.format_version.is_some(),
                "resource_changes" => !plan.resource_changes.is_empty(),
                "resource_drift" => !plan.resource_drift.is_empty(),
                _ => true,
            }),
    ))
}
