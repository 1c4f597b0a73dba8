//! `tfaudit state --guardrail-store`: verifies the guardrail store's audit trail,
//! read-only, environment by environment (see
//! [`guardrail_core::audit_record::verify_chain`]), and turns every sign of
//! tampering into a critical `trail/*` finding.

use guardrail_core::audit_record::{self, ChainProblem, ChainReport};
use guardrail_core::environment::EnvironmentName;
use guardrail_core::store::{Store, StoreConfig};

use super::StateError;
use crate::findings::{Finding, RuleInfo, Severity};

pub const GAP: RuleInfo = RuleInfo {
    id: "trail/gap",
    default_severity: Severity::Critical,
    summary: "Audit records are missing from the chain",
    help: "Every record of an environment's trail has a sequence number, claimed with a conditional write; a missing number means a record was removed from `audit/<env>/`. Restore it from a bucket backup or object version, and find out who deleted it.",
};

pub const EDITED: RuleInfo = RuleInfo {
    id: "trail/edited",
    default_severity: Severity::Critical,
    summary: "An audit record was changed after it was written",
    help: "Each record holds the sha256 of the record before it; the stored bytes of this record no longer hash to what the next record holds, or the record says it is another sequence or environment than its key. Compare it with an older object version to see what changed.",
};

pub const UNPARSABLE: RuleInfo = RuleInfo {
    id: "trail/unparsable",
    default_severity: Severity::Critical,
    summary: "An object of the trail or the lock object is not a valid record",
    help: "The guardrail writes only valid audit and lock records; an object that does not parse was written by something else. Inspect it, restore the original from an object version, and check who had write access.",
};

pub const SPENT_MARKER_MISSING: RuleInfo = RuleInfo {
    id: "trail/spent-marker-missing",
    default_severity: Severity::Critical,
    summary: "An attestation was spent, but its spent marker is gone",
    help: "The record says an apply used the attestation of this plan_id, and `attestations/<env>/<plan_id>.spent.json` is what stops a second apply. Without it the attestation can be replayed: delete the attestation (or restore the marker) and find out who removed it.",
};

pub const LOCK_UNRECORDED: RuleInfo = RuleInfo {
    id: "trail/lock-unrecorded",
    default_severity: Severity::Critical,
    summary: "The environment lock was not written by a recorded lock operation",
    help: "Every acquisition of `locks/<env>.json` (acquire, takeover, adopt) is recorded in the chain with the lock as written. A lock object no chained record wrote, or one that differs from it, was planted or edited by hand: a freeze (or its expiry) nobody took through the guardrail.",
};

pub const RELEASE_UNRECORDED: RuleInfo = RuleInfo {
    id: "trail/release-unrecorded",
    default_severity: Severity::Critical,
    summary: "The environment lock says it was released, but no release is recorded",
    help: "A release through the guardrail is recorded in the chain with its `released_at`. A lock object released without such a record was edited by hand to lift a freeze.",
};

pub const LOCK_ROLLED_BACK: RuleInfo = RuleInfo {
    id: "trail/lock-rolled-back",
    default_severity: Severity::Critical,
    summary: "The environment lock is missing or older than the recorded lock history",
    help: "The lock object is never deleted and its generation only grows. A missing object, an older generation, or a lock the chain released that reads as held again means an earlier object was written back, lifting or restoring a freeze by hand.",
};

pub const HEAD_MISMATCH: RuleInfo = RuleInfo {
    id: "trail/head-mismatch",
    default_severity: Severity::Critical,
    summary: "The trail's head contradicts the chain",
    help: "`audit-head/<env>.json` names the last record a writer appended and its digest. A head beyond the end of the chain means records were removed from its end; a head whose digest differs means that record was changed. Writers leave a contradicting head in place; delete it once the trail is investigated.",
};

pub const UNCHAINED: RuleInfo = RuleInfo {
    id: "trail/unchained",
    default_severity: Severity::Low,
    summary: "A record or lock predates the chained audit trail",
    help: "Records written before the trail was chained (keys `audit/<env>/<time>-<plan_id>.json`) and lock objects older than the chain cannot be verified. They are kept as they are; nothing is wrong unless they appeared after the chain started.",
};

/// Every rule of the trail check.
pub const INFOS: [RuleInfo; 9] = [
    GAP,
    EDITED,
    UNPARSABLE,
    SPENT_MARKER_MISSING,
    LOCK_UNRECORDED,
    RELEASE_UNRECORDED,
    LOCK_ROLLED_BACK,
    HEAD_MISMATCH,
    UNCHAINED,
];

/// What `--guardrail-store` and `--environment` ask for, checked before anything is fetched.
#[derive(Debug, Clone)]
pub struct TrailRequest {
    pub store: StoreConfig,
    /// Empty: every environment found in the store.
    pub environments: Vec<String>,
}

impl TrailRequest {
    /// Parses `s3://BUCKET[/PREFIX]` (without a prefix, the default `guardrail/`)
    /// and the environment names.
    pub fn parse(
        url: &str,
        environments: &[String],
        endpoint: Option<&str>,
    ) -> Result<TrailRequest, StateError> {
        let mut store = StoreConfig::from_url(url).map_err(|problem| {
            StateError::Usage(format!("--guardrail-store `{url}`: {problem}"))
        })?;
        store.endpoint = endpoint.map(str::to_owned);
        let mut names = Vec::new();
        for text in environments {
            let name = EnvironmentName::parse(text)
                .map_err(|error| StateError::Usage(format!("--environment: {error}")))?;
            if !names.contains(&name.to_string()) {
                names.push(name.to_string());
            }
        }
        Ok(TrailRequest {
            store,
            environments: names,
        })
    }

    /// `s3://bucket/prefix/`
    pub fn location(&self) -> String {
        format!("s3://{}/{}", self.store.bucket, self.store.prefix)
    }
}

/// The outcome of the trail check.
#[derive(Debug, Default)]
pub struct TrailAudit {
    pub findings: Vec<Finding>,
    pub environments: Vec<String>,
    pub chained_records: usize,
    pub legacy_records: usize,
}

/// Verifies every requested environment's trail. Reads only.
pub async fn audit(request: &TrailRequest) -> Result<TrailAudit, StateError> {
    let location = request.location();
    let failed = |message: String| StateError::GuardrailStore {
        location: location.clone(),
        message,
    };
    let store = Store::connect(&request.store)
        .await
        .map_err(|error| failed(error.to_string()))?;
    let environments = if request.environments.is_empty() {
        let found = audit_record::environments(&store)
            .await
            .map_err(|error| failed(error.to_string()))?;
        if found.is_empty() {
            return Err(failed(
                "no audit trail and no lock object found (nothing under audit/ or locks/): \
                 check the bucket and the prefix (the provider's store.prefix)"
                    .into(),
            ));
        }
        found
    } else {
        request.environments.clone()
    };
    let mut audit = TrailAudit::default();
    for environment in &environments {
        let report = audit_record::verify_chain(&store, environment)
            .await
            .map_err(|error| failed(format!("environment `{environment}`: {error}")))?;
        tracing::info!(
            environment,
            chained = report.chained_records,
            last_sequence = report.last_sequence,
            problems = report.problems.len(),
            "audit trail verified"
        );
        audit.chained_records += report.chained_records;
        audit.legacy_records += report.legacy_records;
        audit.findings.extend(findings(&location, &report));
    }
    audit.environments = environments;
    Ok(audit)
}

/// The rule a problem is reported under.
pub fn rule_for(problem: &ChainProblem) -> &'static RuleInfo {
    match problem {
        ChainProblem::Gap { .. } => &GAP,
        ChainProblem::Edited { .. } | ChainProblem::Misplaced { .. } => &EDITED,
        ChainProblem::Unparsable { .. } => &UNPARSABLE,
        ChainProblem::SpentMarkerMissing { .. } => &SPENT_MARKER_MISSING,
        ChainProblem::LockUnrecorded { .. } => &LOCK_UNRECORDED,
        ChainProblem::ReleaseUnrecorded { .. } => &RELEASE_UNRECORDED,
        ChainProblem::LockRolledBack { .. } => &LOCK_ROLLED_BACK,
        ChainProblem::HeadAhead { .. }
        | ChainProblem::HeadDiffers { .. }
        | ChainProblem::HeadUnreadable { .. } => &HEAD_MISMATCH,
        ChainProblem::UnchainedLegacy { .. } | ChainProblem::UnchainedLegacyLock { .. } => {
            &UNCHAINED
        }
    }
}

/// One finding per problem, addressed `s3://bucket/prefix/<key>`.
pub fn findings(location: &str, report: &ChainReport) -> Vec<Finding> {
    report
        .problems
        .iter()
        .map(|problem| {
            let rule = rule_for(problem);
            Finding::new(
                rule.id,
                rule.default_severity,
                format!("{location}{}", problem.key()),
                format!("environment `{}`: {problem}", report.environment),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str, environments: &[&str]) -> Result<TrailRequest, StateError> {
        let environments: Vec<String> = environments.iter().map(|e| e.to_string()).collect();
        TrailRequest::parse(url, &environments, None)
    }

    #[test]
    fn store_urls_and_environments() {
        let request = parse("s3://bucket/team/guardrail", &["production", "production"]).unwrap();
        assert_eq!(request.location(), "s3://bucket/team/guardrail/");
        assert_eq!(request.environments, ["production"]);
        assert_eq!(
            parse("s3://bucket", &[]).unwrap().location(),
            "s3://bucket/guardrail/"
        );
        for bad in ["https://bucket/", "s3:///guardrail/"] {
            let error = parse(bad, &[]).unwrap_err().to_string();
            assert!(error.contains("--guardrail-store"), "{error}");
        }
        let error = parse("s3://bucket/", &["Prod/../x"])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("--environment: invalid environment name"),
            "{error}"
        );
    }

    #[test]
    fn only_legacy_objects_are_below_critical() {
        let legacy = ChainProblem::UnchainedLegacy { key: "k".into() };
        assert_eq!(rule_for(&legacy).default_severity, Severity::Low);
        let gap = ChainProblem::Gap {
            first: 2,
            last: 2,
            key: "k".into(),
        };
        assert_eq!(rule_for(&gap).default_severity, Severity::Critical);
        assert!(INFOS
            .iter()
            .filter(|info| info.id != UNCHAINED.id)
            .all(|info| info.default_severity == Severity::Critical));
    }
}
