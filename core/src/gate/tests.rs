//! The decision, table by table: every combination of freeze, window,
//! attestation, break glass and clock, with no store and no Terraform.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::attestation::{sign, Attestation, SigningKey, Verdict};
use crate::window::{AllowSpec, WindowSpec};

const ENV: &str = "production";
const PLAN: &str = "plan-7";

fn noon() -> DateTime<Utc> {
    // Tuesday 2026-11-24 12:00 UTC.
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

fn lock(expires_in_hours: i64, released: bool) -> LockRecord {
    LockRecord {
        environment: ENV.into(),
        lock_id: "l-1".into(),
        owner: "alice".into(),
        reason: "INC-1: failover".into(),
        acquired_at: noon() - Duration::hours(1),
        expires_at: Some(noon() + Duration::hours(expires_in_hours)),
        generation: 4,
        released_at: released.then(noon),
        ..Default::default()
    }
}

fn office_hours() -> crate::window::ChangeWindow {
    WindowSpec {
        timezone: "UTC".into(),
        allow: vec![AllowSpec {
            days: Some(vec!["mon-fri".into()]),
            start: Some("09:00".into()),
            end: Some("17:00".into()),
            ..AllowSpec::default()
        }],
        deny: vec![],
    }
    .compile()
    .unwrap()
}

fn attestation(environment: &str, plan_id: &str, expires_in_hours: i64) -> Attestation {
    Attestation {
        version: 1,
        plan_id: plan_id.into(),
        environment: environment.into(),
        verdict: Verdict::Pass,
        summary: serde_json::json!({}),
        plan_digest: "sha256:00".into(),
        auditor_version: "test".into(),
        issued_at: noon() - Duration::hours(1),
        expires_at: noon() + Duration::hours(expires_in_hours),
    }
}

#[derive(Clone, Copy, Debug)]
enum Lock {
    None,
    Live,
    Expired,
    Released,
    Unreadable,
}

#[derive(Clone, Copy, Debug)]
enum Window {
    None,
    Open,
    Closed,
}

#[derive(Clone, Copy, Debug)]
enum Att {
    NotRequired,
    Valid,
    Missing,
    Tampered,
    Expired,
    Spent,
    OtherEnvironment,
    WrongPlan,
    ForeignKey,
    NoKeys,
}

struct Case {
    lock: Lock,
    window: Window,
    att: Att,
    glass: bool,
    clock_override: bool,
    phase: Phase,
}

fn case(lock: Lock, window: Window, att: Att, glass: bool) -> Case {
    Case {
        lock,
        window,
        att,
        glass,
        clock_override: false,
        phase: Phase::Apply,
    }
}

fn run(case: &Case) -> Decision {
    // A closed window: Saturday noon.
    let now = match case.window {
        Window::Closed => noon() + Duration::days(4),
        _ => noon(),
    };
    let trusted = match case.att {
        Att::NoKeys => vec![],
        _ => vec![key().verifying_key()],
    };
    let request = GateRequest {
        environment: ENV.into(),
        phase: case.phase,
        plan_id: PLAN.into(),
        now,
        clock_override: case
            .clock_override
            .then(|| crate::audit_record::ClockOverride {
                source: "GUARDRAIL_NOW".into(),
                simulated_now: now,
                system_now: now,
            }),
        window: match case.window {
            Window::None => None,
            _ => Some(office_hours()),
        },
        break_glass: case.glass.then(|| crate::audit_record::BreakGlass {
            reason: "outage".into(),
            ticket: "INC-9".into(),
        }),
        attestation: match case.att {
            Att::NotRequired => None,
            _ => Some(AttestationPolicy {
                trusted_keys: trusted,
            }),
        },
    };
    let lock = match case.lock {
        Lock::None => Observed::Absent,
        Lock::Live => Observed::Found(lock(200, false)),
        Lock::Expired => Observed::Found(lock(-100, false)),
        Lock::Released => Observed::Found(lock(2, true)),
        Lock::Unreadable => Observed::Unreadable("connection refused".into()),
    };
    let envelope = match case.att {
        Att::NotRequired => Observed::NotRead,
        Att::Missing => Observed::Absent,
        Att::Expired => Observed::Found(sign(&attestation(ENV, PLAN, -1), &key())),
        Att::OtherEnvironment => Observed::Found(sign(&attestation("staging", PLAN, 2), &key())),
        Att::WrongPlan => Observed::Found(sign(&attestation(ENV, "plan-8", 2), &key())),
        Att::ForeignKey => Observed::Found(sign(
            &attestation(ENV, PLAN, 2),
            &SigningKey::from_bytes(&[9; 32]),
        )),
        Att::Tampered => {
            let mut envelope = sign(&attestation(ENV, PLAN, 2), &key());
            let mut edited = attestation(ENV, PLAN, 2);
            edited.summary = serde_json::json!({"findings": {}});
            envelope.payload = base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                serde_json::to_vec(&edited).unwrap(),
            );
            Observed::Found(envelope)
        }
        _ => Observed::Found(sign(&attestation(ENV, PLAN, 2), &key())),
    };
    let spent = match case.att {
        Att::NotRequired => Observed::NotRead,
        Att::Spent => Observed::Found(crate::attestation::SpentRecord {
            environment: ENV.into(),
            plan_id: PLAN.into(),
            who: "bob@ci".into(),
            at: noon() - Duration::minutes(5),
        }),
        _ => Observed::Absent,
    };
    // The system clock is always the real noon: an override moves only `now`.
    let seen = Observations {
        lock,
        envelope,
        spent,
        system_now: noon(),
    };
    decide(&request, &seen)
}

fn kinds(decision: &Decision) -> Vec<&'static str> {
    decision
        .blockers
        .iter()
        .map(|blocker| match blocker {
            Blocker::Frozen(_) => "frozen",
            Blocker::WindowClosed { .. } => "window-closed",
            Blocker::LockUnreadable(_) => "lock-unreadable",
            Blocker::ClockOverrideWithAttestation { .. } => "clock-override",
            Blocker::Attestation(AttestationProblem::NoTrustedKeys) => "no-keys",
            Blocker::Attestation(AttestationProblem::NoPlanId) => "no-plan-id",
            Blocker::Attestation(AttestationProblem::Missing { .. }) => "missing",
            Blocker::Attestation(AttestationProblem::Unreadable(_)) => "unreadable",
            Blocker::Attestation(AttestationProblem::Spent(_)) => "spent",
            Blocker::Attestation(AttestationProblem::Invalid(error)) => match error {
                crate::attestation::AttestationError::BadSignature => "bad-signature",
                crate::attestation::AttestationError::UnknownKey { .. } => "unknown-key",
                crate::attestation::AttestationError::Expired { .. } => "expired",
                crate::attestation::AttestationError::WrongEnvironment { .. } => {
                    "wrong-environment"
                }
                crate::attestation::AttestationError::WrongPlan { .. } => "wrong-plan",
                _ => "invalid",
            },
        })
        .collect()
}

#[test]
fn every_combination_of_freeze_window_and_break_glass() {
    use Outcome::*;
    let table = [
        (Lock::None, Window::None, false, Allowed, vec![]),
        (Lock::None, Window::Open, false, Allowed, vec![]),
        (
            Lock::None,
            Window::Closed,
            false,
            Denied,
            vec!["window-closed"],
        ),
        (
            Lock::None,
            Window::Closed,
            true,
            AllowedBreakGlass,
            vec!["window-closed"],
        ),
        (Lock::Live, Window::Open, false, Denied, vec!["frozen"]),
        (
            Lock::Live,
            Window::Open,
            true,
            AllowedBreakGlass,
            vec!["frozen"],
        ),
        (
            Lock::Live,
            Window::Closed,
            false,
            Denied,
            vec!["frozen", "window-closed"],
        ),
        (
            Lock::Live,
            Window::Closed,
            true,
            AllowedBreakGlass,
            vec!["frozen", "window-closed"],
        ),
        (Lock::Expired, Window::Open, false, Allowed, vec![]),
        (Lock::Released, Window::Open, false, Allowed, vec![]),
        (
            Lock::Unreadable,
            Window::Open,
            false,
            Denied,
            vec!["lock-unreadable"],
        ),
        (
            Lock::Unreadable,
            Window::Open,
            true,
            Denied,
            vec!["lock-unreadable"],
        ),
    ];
    for (lock, window, glass, outcome, blockers) in table {
        let decision = run(&case(lock, window, Att::NotRequired, glass));
        assert_eq!(
            (decision.outcome, kinds(&decision)),
            (outcome, blockers),
            "{lock:?} {window:?} glass={glass}"
        );
    }
}

#[test]
fn every_attestation_failure_denies_and_break_glass_never_passes_it() {
    let table = [
        (Att::Valid, vec![]),
        (Att::Missing, vec!["missing"]),
        (Att::Tampered, vec!["bad-signature"]),
        (Att::Expired, vec!["expired"]),
        (Att::Spent, vec!["spent"]),
        (Att::OtherEnvironment, vec!["wrong-environment"]),
        (Att::WrongPlan, vec!["wrong-plan"]),
        (Att::ForeignKey, vec!["unknown-key"]),
        (Att::NoKeys, vec!["no-keys"]),
    ];
    for (att, blockers) in table {
        for glass in [false, true] {
            let decision = run(&case(Lock::None, Window::Open, att, glass));
            let expected = if blockers.is_empty() {
                Outcome::Allowed
            } else {
                Outcome::Denied
            };
            assert_eq!(
                (decision.outcome, kinds(&decision)),
                (expected, blockers.clone()),
                "{att:?} glass={glass}"
            );
            assert_eq!(decision.attestation.is_some(), expected == Outcome::Allowed);
        }
    }
    // Frozen and attested: break glass passes the freeze, the attestation still counts.
    let decision = run(&case(Lock::Live, Window::Open, Att::Valid, true));
    assert_eq!(decision.outcome, Outcome::AllowedBreakGlass);
    let decision = run(&case(Lock::Live, Window::Open, Att::Missing, true));
    assert_eq!(
        (decision.outcome, kinds(&decision)),
        (Outcome::Denied, vec!["frozen", "missing"])
    );
}

#[test]
fn a_simulated_clock_never_lets_an_attested_change_through() {
    let mut attested = case(Lock::None, Window::Open, Att::Valid, true);
    attested.clock_override = true;
    let decision = run(&attested);
    assert_eq!(
        (decision.outcome, kinds(&decision)),
        (Outcome::Denied, vec!["clock-override"])
    );
    // Without attestation a lab may simulate the clock.
    let mut lab = case(Lock::None, Window::Open, Att::NotRequired, false);
    lab.clock_override = true;
    assert_eq!(run(&lab).outcome, Outcome::Allowed);
}

#[test]
fn plans_check_the_freeze_and_the_window_but_no_attestation_yet() {
    let mut plan = case(Lock::None, Window::Open, Att::Missing, false);
    plan.phase = Phase::Plan;
    assert_eq!(run(&plan).outcome, Outcome::Allowed);
    plan.lock = Lock::Live;
    assert_eq!(kinds(&run(&plan)), vec!["frozen"]);
}

#[test]
fn reasons_name_the_holder_and_the_next_opening() {
    let decision = run(&case(Lock::Live, Window::Closed, Att::NotRequired, false));
    let reasons = decision.reasons(ENV, PLAN).join("\n");
    assert!(
        reasons.contains("production is frozen: held by alice (INC-1: failover)"),
        "{reasons}"
    );
    assert!(reasons.contains("the change window is closed"), "{reasons}");
    assert!(
        reasons.contains("next opening 2026-11-30T09:00:00+00:00"),
        "{reasons}"
    );
    assert_eq!(decision.frozen_by().map(|l| l.generation), Some(4));
}
