//! The `tfaudit plan` rules: one module per rule, each exporting its
//! [`RuleInfo`] as `INFO` and a `check` function. [`REGISTRY`] lists them all,
//! in the shape of every rule family ([`crate::registry`]).
//!
//! Rules put only redaction-safe text into findings (addresses, types, action
//! reasons, attribute names, CIDRs and ports); the command still passes every
//! finding through the plan's [`Redactor`](crate::redact::Redactor).
//!
//! May import: `findings`, `error`, `registry`, `plan`, `config`, `policy`, `redact` and `guardrail_core`; nothing above.

use chrono::{DateTime, Utc};
use guardrail_core::budget::BudgetSpec;
use serde_json::Value;

use crate::config::{BudgetLimits, Config};
use crate::findings::{Finding, RuleInfo};
use crate::plan::resolve;
use crate::plan::{Plan, ResourceChange};
use crate::redact::{Redactor, REDACTED};
use crate::registry::{Registry, Rule, RuleInput};

pub use crate::plan::resolve::{Environment, BUDGET_TYPE, GATE_TYPE};

pub mod break_glass;
pub mod budget_exceeded;
pub mod clock_override;
pub mod correlated_changes;
pub mod destroy;
pub mod drift;
pub mod environment_frozen;
pub mod forget;
pub mod gate_missing;
pub mod import;
pub mod incomplete;
pub mod moved;
pub mod output_secret;
pub mod protected_destroy;
pub mod reduced_coverage;
pub mod replace;
pub mod security_sensitive;
pub mod unknown_critical;
pub mod window_closed;

/// The address used for findings about the plan as a whole.
pub const PLAN_ADDRESS: &str = "plan";

/// A freeze found in the store for an environment of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Freeze {
    pub environment: String,
    /// Who froze it and why, for people (already free of secrets).
    pub detail: String,
}

/// Everything a rule may read.
pub struct PlanContext<'a> {
    pub plan: &'a Plan,
    pub config: &'a Config,
    /// `--budget` over the configuration's `[budget]`.
    pub budget: BudgetLimits,
    /// The time windows are judged at: `--now` when given, else when the plan was
    /// made (`timestamp`), if it says.
    pub planned_at: Option<DateTime<Utc>>,
    /// Whether `planned_at` comes from `--now` / `GUARDRAIL_NOW`.
    pub clock_overridden: bool,
    /// Freezes read from the store (`--store`); empty without a store.
    pub freezes: &'a [Freeze],
    /// The plan's sensitive values: rules use it to keep them out of logs and
    /// to label environments that come from sensitive values.
    pub redactor: &'a Redactor,
    /// The budgets the plan declares, resolved once for every rule that reads them.
    declared_budgets: Vec<(&'a str, BudgetSpec)>,
}

impl Environment {
    /// The name for people: `(sensitive)` when it is a sensitive value.
    pub fn label(&self) -> &str {
        if self.sensitive {
            REDACTED
        } else {
            &self.name
        }
    }
}

impl<'a> PlanContext<'a> {
    /// The context of auditing `plan` under `config`: the configuration's budget,
    /// no clock (windows then go by nothing), no freezes. Callers set the rest.
    pub fn new(plan: &'a Plan, config: &'a Config, redactor: &'a Redactor) -> Self {
        PlanContext {
            plan,
            config,
            budget: config.budget,
            planned_at: None,
            clock_overridden: false,
            freezes: &[],
            redactor,
            declared_budgets: resolve::declared_budgets(plan),
        }
    }

    /// The managed resource changes.
    pub fn managed(&self) -> impl Iterator<Item = &'a ResourceChange> {
        self.plan
            .resource_changes
            .iter()
            .filter(|change| change.is_managed())
    }

    /// Changes of `resource_type` whose planned values are known.
    pub fn of_type(&self, resource_type: &'a str) -> impl Iterator<Item = &'a ResourceChange> {
        self.managed()
            .filter(move |change| &*change.resource_type == resource_type)
    }

    /// The budgets declared in the plan (not being destroyed), with their
    /// addresses ([`resolve::declared_budgets`]).
    pub fn declared_budgets(&self) -> &[(&'a str, BudgetSpec)] {
        &self.declared_budgets
    }

    /// Whether a blast-radius budget governs destroys (or, with `replacement`,
    /// replacements) of `address`: a budget declared in the plan whose scope
    /// contains it, or `--budget` / the configuration's `[budget]`, that limits
    /// `destroy` (for a replacement: `destroy` or `replace`). A budget that only
    /// limits `changes` does not govern destroys. Destroys and replacements a
    /// budget governs are for the budget to stop; the rules that list them then
    /// report at `medium` instead of `high`.
    pub fn budget_governs(&self, address: &str, replacement: bool) -> bool {
        let flag = self.budget.destroy.is_some() || (replacement && self.budget.replace.is_some());
        flag || self.declared_budgets.iter().any(|(_, spec)| {
            spec.in_scope(address)
                && (spec.max_destroy.is_some() || (replacement && spec.max_replace.is_some()))
        })
    }

    /// [`resolve::resolve_in`] in this plan: the value of attribute `name` of
    /// a block in the module at `module_address`, variables followed up
    /// through the module calls.
    pub fn resolve_in(
        &self,
        module_address: &str,
        expressions: &Value,
        name: &str,
        sensitive_too: bool,
    ) -> Option<Value> {
        resolve::resolve_in(self.plan, module_address, expressions, name, sensitive_too)
    }

    /// [`PlanContext::resolve_in`] in the root module.
    pub fn resolve(&self, expressions: &Value, name: &str, sensitive_too: bool) -> Option<Value> {
        resolve::resolve(self.plan, expressions, name, sensitive_too)
    }

    /// The environments the plan names ([`resolve::environments`]), labelled
    /// sensitive where they are sensitive values of the plan.
    pub fn environments(&self) -> Vec<Environment> {
        resolve::environments(self.plan, |name| self.redactor.is_sensitive(name))
    }
}

/// A finding about one resource change, with its module filled in.
pub fn change_finding(info: &RuleInfo, change: &ResourceChange, message: String) -> Finding {
    let mut finding = Finding::new(
        info.id,
        info.default_severity,
        change.address.clone(),
        message,
    );
    finding.module = change.module_address.to_string();
    finding
}

/// A finding about the plan as a whole.
pub fn plan_finding(info: &RuleInfo, message: String) -> Finding {
    Finding::new(info.id, info.default_severity, PLAN_ADDRESS, message)
}

/// The input of the plan rules: a [`PlanContext`].
pub enum PlanRules {}

impl RuleInput for PlanRules {
    type Of<'a> = PlanContext<'a>;
}

/// Every plan rule, in reporting order, and the rules the plan command reports
/// besides them (expired waivers, policies).
pub const REGISTRY: Registry<PlanRules> = Registry {
    rules: &[
        Rule {
            info: destroy::INFO,
            check: destroy::check,
        },
        Rule {
            info: replace::INFO,
            check: replace::check,
        },
        Rule {
            info: forget::INFO,
            check: forget::check,
        },
        Rule {
            info: import::INFO,
            check: import::check,
        },
        Rule {
            info: moved::INFO,
            check: moved::check,
        },
        Rule {
            info: protected_destroy::INFO,
            check: protected_destroy::check,
        },
        Rule {
            info: budget_exceeded::INFO,
            check: budget_exceeded::check,
        },
        Rule {
            info: window_closed::INFO,
            check: window_closed::check,
        },
        Rule {
            info: environment_frozen::INFO,
            check: environment_frozen::check,
        },
        Rule {
            info: gate_missing::INFO,
            check: gate_missing::check,
        },
        Rule {
            info: break_glass::INFO,
            check: break_glass::check,
        },
        Rule {
            info: clock_override::INFO,
            check: clock_override::check,
        },
        Rule {
            info: security_sensitive::INFO,
            check: security_sensitive::check,
        },
        Rule {
            info: output_secret::INFO,
            check: output_secret::check,
        },
        Rule {
            info: incomplete::INFO,
            check: incomplete::check,
        },
        Rule {
            info: unknown_critical::INFO,
            check: unknown_critical::check,
        },
        Rule {
            info: correlated_changes::INFO,
            check: correlated_changes::check,
        },
        Rule {
            info: drift::INFO,
            check: drift::check,
        },
        Rule {
            info: reduced_coverage::INFO,
            check: reduced_coverage::check,
        },
    ],
    reported: &[
        crate::config::WAIVER_EXPIRED,
        crate::policy::DENY,
        crate::policy::WARN,
    ],
};

/// The description of every rule the plan command reports, the configuration
/// rule included.
pub fn infos() -> Vec<RuleInfo> {
    REGISTRY.infos()
}

/// Runs every rule.
pub fn run_all(context: &PlanContext) -> Vec<Finding> {
    REGISTRY.run(context)
}

/// An attribute path (`["rule", 0, "port"]`) as text: `rule[0].port`.
pub fn path_text(path: &[Value]) -> String {
    shown_path_text(path, |_| false)
}

/// [`path_text`] for people: a step that is a sensitive value of the plan
/// (the key of a sensitive map, whatever its length) reads `(sensitive)`.
pub fn redacted_path_text(path: &[Value], redactor: &Redactor) -> String {
    shown_path_text(path, |name| redactor.is_sensitive(name))
}

fn shown_path_text(path: &[Value], hidden: impl Fn(&str) -> bool) -> String {
    let mut text = String::new();
    for step in path {
        match step {
            Value::Number(index) => text.push_str(&format!("[{index}]")),
            Value::String(name) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(if hidden(name) { REDACTED } else { name });
            }
            other => text.push_str(&format!("[{other}]")),
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::retention::{Kept, Retention};

    #[test]
    fn the_types_rules_read_keep_their_values() {
        assert_eq!(Retention::AUDIT.kept(GATE_TYPE), Some(Kept::All));
        assert_eq!(Retention::AUDIT.kept(BUDGET_TYPE), Some(Kept::All));
        assert_eq!(
            Retention::AUDIT.kept(security_sensitive::FIREWALL_TYPE),
            Some(Kept::Attributes(&["rule"]))
        );
    }

    fn plan(json: serde_json::Value) -> Plan {
        let bytes = serde_json::to_vec(&json).unwrap();
        crate::plan::parse::parse_slice(&bytes, std::path::Path::new("t.json"))
            .unwrap()
            .plan
    }

    fn environments_of(plan: &Plan) -> Vec<Environment> {
        let redactor = Redactor::for_plan(plan);
        let config = Config::default();
        PlanContext::new(plan, &config, &redactor).environments()
    }

    #[test]
    fn environments_resolve_root_variables_and_label_sensitive_ones() {
        let plan = plan(serde_json::json!({
            "format_version": "1.2", "planned_values": {},
            "variables": {"environment": {"value": "production"}, "settings": {"value": {"env": "qa"}},
                          "hidden": {"value": "staging"}, "prefix": {"value": "x"}},
            "resource_changes": [{
                "address": "guardrail_change_gate.g", "mode": "managed", "type": GATE_TYPE,
                "change": {"actions": ["create"], "before": null, "after": {"environment": null},
                           "after_unknown": {"environment": true}}
            }, {
                "address": "module.m.guardrail_change_gate.g", "module_address": "module.m", "mode": "managed",
                "type": GATE_TYPE,
                "change": {"actions": ["create"], "before": null, "after": {"environment": null}}
            }],
            "configuration": {
                "provider_config": {
                    "guardrail": {"name": "guardrail", "expressions": {"environment": {"references": ["var.environment"]}}},
                    "guardrail.other": {"name": "guardrail", "expressions": {"environment": {"references": ["var.hidden"]}}},
                    "guardrail.template": {"name": "guardrail", "expressions": {"environment": {"references": ["var.prefix", "local.suffix"]}}},
                    "m:guardrail": {"name": "guardrail", "module_address": "module.m",
                                    "expressions": {"environment": {"references": ["var.environment"]}}}
                },
                "root_module": {
                    "variables": {"hidden": {"sensitive": true}},
                    "resources": [{"address": "guardrail_change_gate.g", "type": GATE_TYPE,
                                   "expressions": {"environment": {"references": ["var.settings.env", "var.settings"]}}}],
                    "module_calls": {"m": {"module": {"resources": [{"address": "guardrail_change_gate.g", "type": GATE_TYPE,
                        "expressions": {"environment": {"references": ["var.environment"]}}}]}}}
                }
            }
        }));
        let found: Vec<(String, String)> = environments_of(&plan)
            .iter()
            .map(|environment| (environment.name.clone(), environment.label().to_string()))
            .collect();
        let expected = [
            ("production", "production"),
            ("qa", "qa"),
            ("staging", REDACTED),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, label)| (name.to_string(), label.to_string()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn environments_follow_module_variables_up_to_the_root() {
        let plan = plan(serde_json::json!({
            "format_version": "1.2", "planned_values": {},
            "variables": {"stage": {"value": "production"}, "secret_stage": {"value": "vault"}},
            "resource_changes": [{
                "address": "module.app[\"a\"].module.gate.guardrail_change_gate.g",
                "module_address": "module.app[\"a\"].module.gate", "mode": "managed", "type": GATE_TYPE,
                "change": {"actions": ["create"], "before": null, "after": {"environment": null}}
            }],
            "configuration": {
                "provider_config": {
                    "app:guardrail": {"name": "guardrail", "module_address": "module.app",
                                      "expressions": {"environment": {"references": ["var.region_env"]}}}
                },
                "root_module": {
                    "variables": {"stage": {}, "secret_stage": {"sensitive": true}},
                    "module_calls": {"app": {
                        "expressions": {"env": {"references": ["var.stage"]}, "region_env": {"constant_value": "eu-staging"}},
                        "module": {
                            "variables": {"env": {}, "region_env": {}},
                            "module_calls": {"gate": {
                                "expressions": {"environment": {"references": ["var.env"]}},
                                "module": {
                                    "variables": {"environment": {}},
                                    "resources": [{"address": "guardrail_change_gate.g", "type": GATE_TYPE,
                                                   "expressions": {"environment": {"references": ["var.environment"]}}}]
                                }
                            }}
                        }
                    }}
                }
            }
        }));
        let found: Vec<String> = environments_of(&plan)
            .into_iter()
            .map(|environment| environment.name)
            .collect();
        assert_eq!(found, vec!["eu-staging", "production"]);
    }
}
