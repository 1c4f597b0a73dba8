//! The gate's reads and writes: [`observe`] gathers what [`decide`](super::decide)
//! needs from the store; [`conclude`] spends the attestation of an allowed apply
//! and writes the audit record.

use chrono::Utc;

use super::decide::{AttestationProblem, Blocker, Decision, Outcome};
use super::{GateRequest, Observations, Observed, Phase};
use crate::actor;
use crate::attestation::{self, Spend, SpentRecord};
use crate::audit_record::{self, AuditRecord};
use crate::lock::{LockError, Locks};
use crate::store::{ObjectStore, StoreError};

/// A failure to record the decision. The gate does not pass without its record.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error("cannot write the audit record of {environment}: {source}. The gate does not pass without an audit record")]
    Record {
        environment: String,
        #[source]
        source: StoreError,
    },
}

/// Reads the lock, and for an attested apply the envelope and its spent marker.
pub async fn observe(store: &dyn ObjectStore, request: &GateRequest) -> Observations {
    let lock = match Locks::new(store).read(&request.environment).await {
        Ok(Some((record, _))) => Observed::Found(record),
        Ok(None) => Observed::Absent,
        Err(LockError::Corrupt { key, message }) => {
            Observed::Unreadable(format!("{key} is not a valid lock record: {message}"))
        }
        Err(error) => Observed::Unreadable(error.to_string()),
    };
    let attested_apply = request.attestation.is_some()
        && request.phase == Phase::Apply
        && !request.plan_id.is_empty();
    let (envelope, spent) = if attested_apply {
        let envelope = match attestation::fetch(store, &request.environment, &request.plan_id).await
        {
            Ok(Some(envelope)) => Observed::Found(envelope),
            Ok(None) => Observed::Absent,
            Err(error) => Observed::Unreadable(error.to_string()),
        };
        let key = attestation::spent_key(&request.environment, &request.plan_id);
        let spent = match store.get(&key).await {
            Ok(None) => Observed::Absent,
            Ok(Some(object)) => {
                Observed::Found(serde_json::from_slice(&object.body).unwrap_or_else(|_| {
                    SpentRecord {
                        environment: request.environment.clone(),
                        plan_id: request.plan_id.clone(),
                        who: "an unreadable spent marker".to_string(),
                        at: Utc::now(),
                    }
                }))
            }
            Err(error) => Observed::Unreadable(error.to_string()),
        };
        (envelope, spent)
    } else {
        (Observed::NotRead, Observed::NotRead)
    };
    Observations {
        lock,
        envelope,
        spent,
        system_now: Utc::now(),
    }
}

/// The final decision and where its audit record was written.
#[derive(Debug, Clone)]
pub struct Concluded {
    pub decision: Decision,
    /// The audit record's key; `None` when nothing was recorded.
    pub record_key: Option<String>,
    pub record: Option<AuditRecord>,
}

/// Spends the attestation of an allowed attested apply (a race lost to another
/// apply turns the decision into a denial), then writes the audit record. A plan
/// is recorded only when it is denied; an apply always.
pub async fn conclude(
    store: &dyn ObjectStore,
    request: &GateRequest,
    mut decision: Decision,
) -> Result<Concluded, GateError> {
    let mut spent = false;
    if request.phase == Phase::Apply && decision.outcome.passes() && decision.attestation.is_some()
    {
        let record = SpentRecord {
            environment: request.environment.clone(),
            plan_id: request.plan_id.clone(),
            who: actor::current(),
            at: request.now,
        };
        let problem = match attestation::spend(store, &record).await {
            Ok(Spend::First) => None,
            Ok(Spend::AlreadySpent(earlier)) => Some(AttestationProblem::Spent(earlier)),
            Err(error) => Some(AttestationProblem::Unreadable(format!(
                "cannot record its use: {error}"
            ))),
        };
        match problem {
            None => spent = true,
            Some(problem) => {
                decision.attestation = None;
                decision.blockers.push(Blocker::Attestation(problem));
                decision.outcome = Outcome::Denied;
            }
        }
    }
    if request.phase == Phase::Plan && decision.outcome.passes() {
        return Ok(Concluded {
            decision,
            record_key: None,
            record: None,
        });
    }
    let record = AuditRecord {
        environment: request.environment.clone(),
        plan_id: request.plan_id.clone(),
        decision: decision.outcome.as_str().to_string(),
        who: actor::current(),
        at: request.now,
        reasons: decision.reasons(&request.environment, &request.plan_id),
        break_glass: if decision.outcome == Outcome::AllowedBreakGlass {
            request.break_glass.clone()
        } else {
            None
        },
        lock_generation: decision.lock_generation,
        action: "gate".to_string(),
        clock_override: request.clock_override.clone(),
        attestation_spent: spent,
        ..Default::default()
    };
    match audit_record::write(store, &record).await {
        Ok(key) => Ok(Concluded {
            decision,
            record_key: Some(key),
            record: Some(record),
        }),
        Err(source) if request.phase == Phase::Plan => {
            tracing::warn!(error = %source, environment = %request.environment, "could not record the denied check");
            Ok(Concluded {
                decision,
                record_key: None,
                record: None,
            })
        }
        Err(source) => Err(GateError::Record {
            environment: request.environment.clone(),
            source,
        }),
    }
}
