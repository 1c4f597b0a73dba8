//! `state/stale-lock`: a Terraform lockfile older than `--stale-lock-after`.

use super::super::AuditInput;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/stale-lock",
    default_severity: Severity::Medium,
    summary: "A state lock is older than the stale-lock threshold",
    help: "A `.tflock` object older than --stale-lock-after usually belongs to a run that died. Check that no run holds it (ID, Who, Operation), then `terraform force-unlock ID`.",
};

pub fn check(input: &AuditInput<'_>) -> Vec<Finding> {
    let threshold =
        chrono::Duration::from_std(input.stale_lock_after).unwrap_or(chrono::Duration::MAX);
    input
        .locks
        .iter()
        .filter_map(|lock| {
            let created = lock.created()?;
            let age = input.now.signed_duration_since(created);
            if age < threshold {
                return None;
            }
            let info = &lock.info;
            let message = if lock.parsed {
                format!(
                    "lock {} held by {} for {} (operation {}, created {}, Terraform {})",
                    or_unknown(&info.id),
                    or_unknown(&info.who),
                    human_age(age),
                    or_unknown(&info.operation),
                    created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    or_unknown(&info.version),
                )
            } else {
                format!(
                    "lockfile {} is not a Terraform lock record and is {} old",
                    lock.origin,
                    human_age(age)
                )
            };
            Some(Finding::new(
                INFO.id,
                INFO.default_severity,
                lock.state_origin.clone(),
                message,
            ))
        })
        .collect()
}

fn or_unknown(text: &str) -> &str {
    if text.is_empty() {
        "(unknown)"
    } else {
        text
    }
}

fn human_age(age: chrono::Duration) -> String {
    let minutes = age.num_minutes();
    if minutes >= 48 * 60 {
        format!("{}d{}h", minutes / (24 * 60), minutes % (24 * 60) / 60)
    } else {
        format!("{}h{:02}m", minutes / 60, minutes % 60)
    }
}
