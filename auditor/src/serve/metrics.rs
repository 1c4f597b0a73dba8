//! `/metrics`: the reconciliation SLIs in the Prometheus exposition format.
//! Labels are environment names, rule ids, severities and fixed reason words:
//! never a value read from an object, never a secret.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::snapshot::Snapshot;

type Labels = Vec<(String, String)>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Every metric the advisor exposes.
pub struct Metrics {
    registry: Registry,
    last_success: Gauge<f64, AtomicU64>,
    cycle_duration: Histogram,
    cycles: Family<Labels, Counter>,
    cycle_errors: Family<Labels, Counter>,
    objects_listed: Counter,
    objects_fetched: Counter,
    findings: Family<Labels, Gauge>,
    frozen: Family<Labels, Gauge>,
    stale_locks: Family<Labels, Gauge>,
    lock_held: Family<Labels, Gauge<f64, AtomicU64>>,
    drift: Family<Labels, Gauge>,
    attestations: Family<Labels, Gauge>,
    break_glass: Family<Labels, Counter>,
    denials: Family<Labels, Counter>,
    events: Family<Labels, Counter>,
    stale: Gauge,
    ready: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let metrics = Metrics {
            last_success: Gauge::default(),
            cycle_duration: Histogram::new([
                0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0,
            ]),
            cycles: Family::default(),
            cycle_errors: Family::default(),
            objects_listed: Counter::default(),
            objects_fetched: Counter::default(),
            findings: Family::default(),
            frozen: Family::default(),
            stale_locks: Family::default(),
            lock_held: Family::default(),
            drift: Family::default(),
            attestations: Family::default(),
            break_glass: Family::default(),
            denials: Family::default(),
            events: Family::default(),
            stale: Gauge::default(),
            ready: Gauge::default(),
            registry: Registry::default(),
        };
        let m = &metrics;
        registry.register(
            "guardrail_advisor_last_success_timestamp_seconds",
            "Unix time of the last complete audit cycle",
            m.last_success.clone(),
        );
        registry.register(
            "guardrail_advisor_cycle_duration_seconds",
            "Duration of complete audit cycles",
            m.cycle_duration.clone(),
        );
        registry.register(
            "guardrail_advisor_cycles",
            "Audit cycles run, by outcome",
            m.cycles.clone(),
        );
        registry.register(
            "guardrail_advisor_cycle_errors",
            "Audit cycles that failed, by reason (list, store, journal, timeout)",
            m.cycle_errors.clone(),
        );
        registry.register(
            "guardrail_advisor_objects_listed",
            "State objects and lockfiles listed",
            m.objects_listed.clone(),
        );
        registry.register(
            "guardrail_advisor_objects_fetched",
            "State objects and lockfiles fetched (new or changed ETag)",
            m.objects_fetched.clone(),
        );
        registry.register(
            "guardrail_advisor_findings",
            "Unwaived findings of the last complete cycle",
            m.findings.clone(),
        );
        registry.register(
            "guardrail_advisor_environment_frozen",
            "1 when the environment's guardrail lock is live",
            m.frozen.clone(),
        );
        registry.register(
            "guardrail_advisor_stale_locks",
            "Terraform state locks older than the stale threshold",
            m.stale_locks.clone(),
        );
        registry.register(
            "guardrail_state_lock_held_seconds",
            "How long the oldest current state lock has been held (0 when free)",
            m.lock_held.clone(),
        );
        registry.register(
            "guardrail_drift_resources",
            "Resources found drifted at the last drift check, by kind",
            m.drift.clone(),
        );
        registry.register(
            "guardrail_advisor_attestations",
            "Attestations by state (issued, spent, expired_unused, expiring_soon)",
            m.attestations.clone(),
        );
        registry.register(
            "guardrail_advisor_break_glass_applies",
            "Break-glass applies recorded in the audit trail",
            m.break_glass.clone(),
        );
        registry.register(
            "guardrail_gate_denials",
            "Changes the guardrail gate refused, from the audit trail",
            m.denials.clone(),
        );
        registry.register(
            "guardrail_advisor_events",
            "Events received, by source and outcome",
            m.events.clone(),
        );
        registry.register(
            "guardrail_advisor_report_stale",
            "1 while the last cycle failed and the served report is older",
            m.stale.clone(),
        );
        registry.register(
            "guardrail_advisor_ready",
            "1 once a complete cycle has been made",
            m.ready.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }

    pub fn cycle_failed(&self, reason: &'static str) {
        self.cycle_errors
            .get_or_create(&labels(&[("reason", reason)]))
            .inc();
        self.cycles
            .get_or_create(&labels(&[("outcome", "failed")]))
            .inc();
        self.stale.set(1);
    }

    pub fn event(&self, source: &'static str, outcome: &'static str) {
        self.events
            .get_or_create(&labels(&[("source", source), ("outcome", outcome)]))
            .inc();
    }

    /// Records a complete cycle.
    pub fn cycle_done(&self, snapshot: &Snapshot) {
        self.cycles
            .get_or_create(&labels(&[("outcome", "complete")]))
            .inc();
        self.cycle_duration
            .observe(snapshot.duration_ms as f64 / 1000.0);
        self.last_success
            .set(snapshot.generated_at.timestamp_millis() as f64 / 1000.0);
        self.objects_listed.inc_by(snapshot.objects_listed as u64);
        self.objects_fetched.inc_by(snapshot.objects_fetched as u64);
        self.stale.set(0);
        self.ready.set(1);
        self.findings.clear();
        for entry in snapshot.findings.iter().filter(|f| !f.finding.waived) {
            self.findings
                .get_or_create(&labels(&[
                    ("environment", &entry.environment),
                    ("rule", entry.finding.rule_id),
                    ("severity", entry.finding.severity.as_str()),
                ]))
                .inc();
        }
        let now = snapshot.generated_at;
        for env in &snapshot.environments {
            let name = env.name.as_str();
            let at = labels(&[("environment", name)]);
            let live = env.lock.as_ref().is_some_and(|lock| lock.is_live(now));
            self.frozen.get_or_create(&at).set(i64::from(live));
            let locks = snapshot
                .state_locks
                .iter()
                .filter(|l| l.environment == name);
            self.stale_locks
                .get_or_create(&at)
                .set(locks.clone().filter(|l| l.stale).count() as i64);
            let held = locks
                .filter_map(|l| l.created)
                .map(|created| (now - created).num_milliseconds().max(0) as f64 / 1000.0)
                .fold(0.0, f64::max);
            self.lock_held.get_or_create(&at).set(held);
            let counts = &env.attestations;
            for (state, count) in [
                ("issued", counts.issued),
                ("spent", counts.spent),
                ("expired_unused", counts.expired_unused),
                ("expiring_soon", counts.expiring_soon),
            ] {
                self.attestations
                    .get_or_create(&labels(&[("environment", name), ("state", state)]))
                    .set(count as i64);
            }
            let glass = env
                .trail
                .iter()
                .filter(|t| t.break_glass_ticket.is_some())
                .count();
            advance(&self.break_glass.get_or_create(&at), glass as u64);
            let denied = env.trail.iter().filter(|t| t.decision == "denied").count();
            advance(&self.denials.get_or_create(&at), denied as u64);
            for kind in ["missing", "changed", "unmanaged"] {
                let drifted = snapshot
                    .findings
                    .iter()
                    .filter(|f| {
                        f.environment == name
                            && f.finding.rule_id.strip_prefix("drift/") == Some(kind)
                    })
                    .count();
                self.drift
                    .get_or_create(&labels(&[("environment", name), ("kind", kind)]))
                    .set(drifted as i64);
            }
        }
    }
}

/// Raises a counter to `total` (what the trail holds); never lowers it.
fn advance(counter: &Counter, total: u64) {
    let current = counter.get();
    if total > current {
        counter.inc_by(total - current);
    }
}
