//! [`decide`]: the gate's decision as a pure function of what it knows.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::text::describe_lock;
use super::{GateRequest, Observations, Observed, Phase};
use crate::attestation::{self, Attestation, AttestationError, SpentRecord};
use crate::lock::LockRecord;

/// The outcome, as recorded in state and in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Allowed,
    AllowedBreakGlass,
    Denied,
}

impl Outcome {
    /// `allowed`, `allowed-break-glass` or `denied`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::AllowedBreakGlass => "allowed-break-glass",
            Outcome::Denied => "denied",
        }
    }

    pub fn passes(self) -> bool {
        self != Outcome::Denied
    }
}

/// Why an attestation does not let a change through.
#[derive(Debug, Clone, PartialEq)]
pub enum AttestationProblem {
    /// Attestation is required but no key to verify with is configured.
    NoTrustedKeys,
    /// Attestation is required but the change has no plan_id.
    NoPlanId,
    Missing {
        key: String,
    },
    Unreadable(String),
    Invalid(AttestationError),
    /// An earlier apply used it (its spent marker, when readable).
    Spent(Option<SpentRecord>),
}

/// One reason the gate is closed.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocker {
    /// A live lock: the environment is frozen.
    Frozen(LockRecord),
    /// The change window is closed at `at`.
    WindowClosed {
        at: DateTime<Utc>,
        reason: String,
        opens_at: Option<DateTime<FixedOffset>>,
    },
    /// The lock could not be read: the gate cannot know whether it is frozen.
    LockUnreadable(String),
    /// A simulated clock and an attested change do not go together.
    ClockOverrideWithAttestation {
        source: String,
    },
    Attestation(AttestationProblem),
}

impl Blocker {
    /// Break glass passes a freeze or a closed window, nothing else.
    pub fn break_glass_passes(&self) -> bool {
        matches!(self, Blocker::Frozen(_) | Blocker::WindowClosed { .. })
    }

    /// One sentence for people (and the audit record).
    pub fn describe(&self, environment: &str, plan_id: &str) -> String {
        match self {
            Blocker::Frozen(lock) => format!("{environment} is frozen: {}", describe_lock(lock)),
            Blocker::WindowClosed {
                at,
                reason,
                opens_at,
            } => {
                let next = match opens_at {
                    Some(at) => format!("next opening {}", at.to_rfc3339()),
                    None => "no opening within the next 400 days".to_string(),
                };
                format!(
                    "the change window is closed ({reason}) at {}; {next}",
                    at.to_rfc3339()
                )
            }
            Blocker::LockUnreadable(error) => {
                format!("cannot read the lock of {environment}, so the gate stays closed: {error}")
            }
            Blocker::ClockOverrideWithAttestation { source } => format!(
                "the clock is overridden ({source}) and the change requires an attestation: \
                 attested changes are judged on the system clock only; remove the override"
            ),
            Blocker::Attestation(problem) => describe_attestation(problem, environment, plan_id),
        }
    }
}

fn describe_attestation(problem: &AttestationProblem, environment: &str, plan_id: &str) -> String {
    match problem {
        AttestationProblem::NoTrustedKeys => "require_attestation is set but the provider has no \
             attestation_public_keys to verify with"
            .to_string(),
        AttestationProblem::NoPlanId => {
            "an attestation is required but the change has no plan_id".to_string()
        }
        AttestationProblem::Missing { key } => format!(
            "no attestation for plan_id {plan_id} at {key}: audit this plan with `tfaudit plan \
             --attest` and apply exactly that plan file"
        ),
        AttestationProblem::Unreadable(error) => {
            format!("cannot read the attestation for plan_id {plan_id}: {error}")
        }
        AttestationProblem::Invalid(error) => {
            format!("the attestation for plan_id {plan_id} is not valid: {error}")
        }
        AttestationProblem::Spent(earlier) => {
            let by = earlier
                .as_ref()
                .map(|earlier| format!(" by {} at {}", earlier.who, earlier.at.to_rfc3339()))
                .unwrap_or_default();
            format!(
                "the attestation for plan_id {plan_id} was already used by an apply{by}: an \
                 attestation lets one apply through. Plan again, audit the new plan with \
                 `tfaudit plan --attest`, and apply that plan file (environment {environment})"
            )
        }
    }
}

/// What the gate decided, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub outcome: Outcome,
    /// Every reason the gate is closed, including those break glass passed.
    pub blockers: Vec<Blocker>,
    /// The verified attestation, when one was required and is valid.
    pub attestation: Option<Attestation>,
    /// The lock's generation when a lock record exists.
    pub lock_generation: Option<u64>,
}

impl Decision {
    /// Each blocker as a sentence, plus what was verified.
    pub fn reasons(&self, environment: &str, plan_id: &str) -> Vec<String> {
        let mut reasons: Vec<String> = self
            .blockers
            .iter()
            .map(|blocker| blocker.describe(environment, plan_id))
            .collect();
        if self.attestation.is_some() {
            reasons.push(format!("attestation for plan_id {plan_id} verified"));
        }
        reasons
    }

    /// The blockers break glass passed (for the warning) or would pass.
    pub fn bypassable(&self) -> impl Iterator<Item = &Blocker> {
        self.blockers.iter().filter(|b| b.break_glass_passes())
    }

    /// The blockers nothing passes.
    pub fn hard(&self) -> impl Iterator<Item = &Blocker> {
        self.blockers.iter().filter(|b| !b.break_glass_passes())
    }

    /// The live lock that froze the environment, if any.
    pub fn frozen_by(&self) -> Option<&LockRecord> {
        self.blockers.iter().find_map(|b| match b {
            Blocker::Frozen(lock) => Some(lock),
            _ => None,
        })
    }
}

/// Decides whether the change in `request` may go through, given what was read.
///
/// The freeze and the window are judged at `request.now`; attestation expiry at
/// `seen.system_now`, whatever the request's clock says. Break glass passes a
/// freeze or a closed window; nothing passes a missing, invalid or spent
/// attestation, an unreadable lock, or a simulated clock on an attested change.
pub fn decide(request: &GateRequest, seen: &Observations) -> Decision {
    let mut blockers = Vec::new();
    let lock_generation = seen.lock.found().map(|lock| lock.generation);
    match &seen.lock {
        Observed::Found(lock) if lock.is_live(request.now) => {
            blockers.push(Blocker::Frozen(lock.clone()))
        }
        Observed::Unreadable(error) => blockers.push(Blocker::LockUnreadable(error.clone())),
        Observed::NotRead => blockers.push(Blocker::LockUnreadable("the lock was not read".into())),
        _ => {}
    }
    if let Some(window) = &request.window {
        let status = window.status_at(request.now);
        if !status.open {
            blockers.push(Blocker::WindowClosed {
                at: request.now,
                reason: status.reason,
                opens_at: status.opens_at,
            });
        }
    }
    let mut verified = None;
    if let Some(policy) = &request.attestation {
        if let Some(clock) = &request.clock_override {
            blockers.push(Blocker::ClockOverrideWithAttestation {
                source: clock.source.clone(),
            });
        }
        if request.phase == Phase::Apply {
            match check_attestation(request, seen, &policy.trusted_keys) {
                Ok(attestation) => verified = Some(attestation),
                Err(problem) => blockers.push(Blocker::Attestation(problem)),
            }
        }
    }
    let outcome = if blockers.iter().any(|b| !b.break_glass_passes()) {
        Outcome::Denied
    } else if blockers.is_empty() {
        Outcome::Allowed
    } else if request.break_glass.is_some() {
        Outcome::AllowedBreakGlass
    } else {
        Outcome::Denied
    };
    Decision {
        outcome,
        blockers,
        attestation: verified,
        lock_generation,
    }
}

fn check_attestation(
    request: &GateRequest,
    seen: &Observations,
    trusted_keys: &[ed25519_dalek::VerifyingKey],
) -> Result<Attestation, AttestationProblem> {
    if trusted_keys.is_empty() {
        return Err(AttestationProblem::NoTrustedKeys);
    }
    if request.plan_id.is_empty() {
        return Err(AttestationProblem::NoPlanId);
    }
    let envelope = match &seen.envelope {
        Observed::Found(envelope) => envelope,
        Observed::Absent | Observed::NotRead => {
            return Err(AttestationProblem::Missing {
                key: attestation::attestation_key(&request.environment, &request.plan_id),
            })
        }
        Observed::Unreadable(error) => return Err(AttestationProblem::Unreadable(error.clone())),
    };
    let verified = attestation::verify(
        envelope,
        trusted_keys,
        &request.environment,
        &request.plan_id,
        seen.system_now,
    )
    .map_err(AttestationProblem::Invalid)?;
    match &seen.spent {
        Observed::Absent => Ok(verified),
        Observed::Found(earlier) => Err(AttestationProblem::Spent(Some(earlier.clone()))),
        Observed::Unreadable(error) => Err(AttestationProblem::Unreadable(format!(
            "its spent marker cannot be read: {error}"
        ))),
        Observed::NotRead => Err(AttestationProblem::Unreadable(
            "its spent marker was not read".into(),
        )),
    }
}
