//! Auditing one plan: every plan rule over a loaded plan, then findings from
//! elsewhere (policies), severity overrides, waivers and redaction. Commands,
//! tests and benchmarks all audit through here.

use chrono::{DateTime, Utc};

use crate::config::{BudgetLimits, Config};
use crate::findings::Finding;
use crate::plan::{ChangeSummary, LoadedPlan};
use crate::redact::Redactor;
use crate::rules::{self, PlanContext};

/// The clock of one audit: the plan's own `timestamp` unless `--now` overrides it.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditClock {
    /// `--now` / `GUARDRAIL_NOW`, when given.
    pub overridden_at: Option<DateTime<Utc>>,
}

impl AuditClock {
    /// The instant expiries are judged at: the override, else the system clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.overridden_at.unwrap_or_else(Utc::now)
    }
}

/// The outcome of auditing one plan.
pub struct PlanAudit {
    pub changes: ChangeSummary,
    pub summary: serde_json::Map<String, serde_json::Value>,
    /// Redacted, with severity overrides and waivers applied.
    pub findings: Vec<Finding>,
}

/// Runs every rule over a loaded plan and prepares the report contents.
pub fn audit(
    loaded: &LoadedPlan,
    config: &Config,
    flag_budget: BudgetLimits,
    freezes: &[rules::Freeze],
) -> PlanAudit {
    audit_with(
        loaded,
        &Redactor::for_plan(&loaded.plan),
        config,
        flag_budget,
        freezes,
        AuditClock::default(),
        Vec::new(),
    )
}

/// [`audit`] with the plan's redactor built by the caller (who also needs it),
/// and findings from elsewhere (policies) added before severity overrides,
/// waivers and redaction apply.
pub fn audit_with(
    loaded: &LoadedPlan,
    redactor: &Redactor,
    config: &Config,
    flag_budget: BudgetLimits,
    freezes: &[rules::Freeze],
    clock: AuditClock,
    extra_findings: Vec<Finding>,
) -> PlanAudit {
    let plan = &loaded.plan;
    let mut context = PlanContext::new(plan, config, redactor);
    context.budget = config.budget.overridden_by(flag_budget);
    context.planned_at = clock
        .overridden_at
        .or_else(|| planned_at(plan.timestamp.as_deref()));
    context.clock_overridden = clock.overridden_at.is_some();
    context.freezes = freezes;
    let mut findings = rules::run_all(&context);
    findings.extend(extra_findings);
    config.apply(&mut findings, clock.now().date_naive());
    for finding in &mut findings {
        redactor.redact_finding(finding);
    }
    let changes = ChangeSummary::of(&plan.resource_changes);
    let mut summary = serde_json::Map::new();
    summary.insert("changes".into(), changes.to_json());
    summary.insert(
        "resource_changes".into(),
        plan.resource_changes.len().into(),
    );
    if let Some(version) = &plan.terraform_version {
        summary.insert("terraform_version".into(), redactor.redact(version).into());
    }
    summary.insert("plan_sha256".into(), loaded.sha256.clone().into());
    PlanAudit {
        changes,
        summary,
        findings,
    }
}

/// The plan's `timestamp` as an instant, when it is one.
fn planned_at(timestamp: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(timestamp?)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}
