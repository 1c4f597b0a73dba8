//! `state/lineage-changed`: a state key now holds a state of another lineage.

use super::super::AuditInput;
use crate::findings::{Finding, RuleInfo, Severity};

pub const INFO: RuleInfo = RuleInfo {
    id: "state/lineage-changed",
    default_severity: Severity::High,
    summary: "A state's lineage differs from the one the journal recorded for the same key",
    help: "A new lineage means the state was replaced by an unrelated one (a fresh `terraform init` on the same key, or a state pushed from elsewhere). Everything the old state tracked is now unmanaged.",
};

pub fn check(input: &AuditInput<'_>) -> Vec<Finding> {
    input
        .states
        .iter()
        .filter_map(|loaded| {
            let last = input.history.last(&loaded.origin)?;
            (last.lineage != loaded.state.lineage).then(|| {
                Finding::new(
                    INFO.id,
                    INFO.default_severity,
                    loaded.origin.clone(),
                    format!(
                        "lineage changed from {} (serial {}, {} resources, seen {}) to {} (serial {}, {} resources)",
                        last.lineage,
                        last.serial,
                        last.resources,
                        last.seen_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        loaded.state.lineage,
                        loaded.state.serial,
                        loaded.state.instance_count()
                    ),
                )
            })
        })
        .collect()
}
