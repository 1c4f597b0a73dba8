//! `state/serial-regression`: a state's serial went backwards (or its content
//! changed without a new serial) compared with the journal.

use super::super::AuditInput;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/serial-regression",
    default_severity: Severity::Critical,
    summary: "A state's serial is lower than one already seen, or its content changed under the same serial",
    help: "Terraform only ever increases the serial. A lower serial means an older state was written back (a rollback or a manual push), and resources created since are no longer tracked. Compare with the journal and restore the newest state.",
};

pub fn check(input: &AuditInput<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for loaded in input.states {
        let state = &loaded.state;
        if let Some(highest) = input.history.highest_serial(&loaded.origin, &state.lineage) {
            if state.serial < highest.serial {
                findings.push(Finding::new(
                    INFO.id,
                    INFO.default_severity,
                    loaded.origin.clone(),
                    format!(
                        "serial {} is lower than serial {} seen at {} (lineage {}; {} resources then, {} now)",
                        state.serial,
                        highest.serial,
                        highest.seen_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        state.lineage,
                        highest.resources,
                        state.instance_count()
                    ),
                ));
                continue;
            }
        }
        if let Some(other) = input
            .history
            .with_serial(&loaded.origin, &state.lineage, state.serial)
            .find(|record| record.sha256 != loaded.sha256)
        {
            findings.push(Finding::new(
                INFO.id,
                INFO.default_severity,
                loaded.origin.clone(),
                format!(
                    "content changed under the same serial {} (sha256 {} seen at {}, now {})",
                    state.serial,
                    short(&other.sha256),
                    other
                        .seen_at
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    short(&loaded.sha256)
                ),
            ));
        }
    }
    findings
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}
