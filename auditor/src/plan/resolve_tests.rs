use super::*;
use serde_json::json;

fn plan(document: Value) -> Plan {
    serde_json::from_str(&document.to_string()).unwrap()
}

/// Root variables `stage` and `secret` (declared sensitive), a module `app`
/// that passes `stage` on as `env` and sets `region` to a constant, and a
/// module `gate` inside it that passes `env` on as `environment`.
fn nested_modules() -> Plan {
    plan(json!({
        "variables": {"stage": {"value": "production"}, "secret": {"value": "vault"},
                      "settings": {"value": {"env": "qa"}}},
        "configuration": {"root_module": {
            "variables": {"stage": {}, "secret": {"sensitive": true}, "settings": {}},
            "module_calls": {"app": {
                "expressions": {"env": {"references": ["var.stage"]},
                                "region": {"constant_value": "eu"},
                                "hidden": {"references": ["var.secret"]}},
                "module": {
                    "variables": {"env": {}, "region": {}, "hidden": {"sensitive": true}},
                    "module_calls": {"gate": {
                        "expressions": {"environment": {"references": ["var.env"]}},
                        "module": {"variables": {"environment": {}}}
                    }}
                }
            }}
        }}
    }))
}

#[test]
fn variables_resolve_through_module_calls() {
    let plan = nested_modules();
    let expressions = json!({
        "constant": {"constant_value": 3},
        "stage": {"references": ["var.stage"]},
        "env": {"references": ["var.env"]},
        "environment": {"references": ["var.environment"]},
        "region": {"references": ["var.region"]},
        "secret": {"references": ["var.secret"]},
        "hidden": {"references": ["var.hidden"]},
        "nested": {"references": ["var.settings.env", "var.settings"]},
        "template": {"references": ["var.stage", "local.suffix"]},
        "local": {"references": ["local.x"]},
        "missing": {"references": ["var.nothing"]},
    });
    // (module address, attribute, sensitive too, expected)
    let cases: &[(&str, &str, bool, Option<Value>)] = &[
        ("", "constant", false, Some(json!(3))),
        ("", "stage", false, Some(json!("production"))),
        ("", "nested", false, Some(json!("qa"))),
        ("", "template", false, None),
        ("", "local", false, None),
        ("", "missing", false, None),
        ("", "secret", false, None),
        ("", "secret", true, Some(json!("vault"))),
        ("", "absent", true, None),
        ("module.app", "env", false, Some(json!("production"))),
        ("module.app[\"x\"]", "region", false, Some(json!("eu"))),
        ("module.app", "hidden", false, None),
        ("module.app", "hidden", true, Some(json!("vault"))),
        (
            "module.app[\"a.b\"].module.gate[0]",
            "environment",
            false,
            Some(json!("production")),
        ),
        ("module.other", "env", true, None),
    ];
    for (module, name, sensitive_too, expected) in cases {
        assert_eq!(
            &resolve_in(&plan, module, &expressions, name, *sensitive_too),
            expected,
            "{module} {name} {sensitive_too}"
        );
    }
    assert_eq!(
        resolve(&plan, &expressions, "stage", false),
        Some(json!("production"))
    );
    assert_eq!(constant_string(&expressions, "constant"), None);
    assert_eq!(
        constant_string(&json!({"now": {"constant_value": "2030-01-01"}}), "now").as_deref(),
        Some("2030-01-01")
    );
}

#[test]
fn environments_come_from_providers_gates_and_budgets() {
    let mut plan = plan(json!({
        "variables": {"environment": {"value": "production"}, "hidden": {"value": "staging"}},
        "configuration": {
            "provider_config": {
                "guardrail": {"name": "guardrail", "expressions": {"environment": {"references": ["var.environment"]}}},
                "guardrail.hidden": {"name": "guardrail", "expressions": {"environment": {"references": ["var.hidden"]}}},
                "other": {"name": "hcloud", "expressions": {"environment": {"constant_value": "not-this"}}}
            },
            "root_module": {
                "variables": {"hidden": {"sensitive": true}},
                "resources": [{"address": "guardrail_blast_radius_budget.b", "type": BUDGET_TYPE,
                               "expressions": {"environment": {"constant_value": "qa"}}}]
            }
        }
    }));
    let change = |address: &str, resource_type: &str, after: Value| {
        let text = json!({"address": address, "type": resource_type,
                          "change": {"actions": ["create"], "after": after}});
        serde_json::from_str::<ResourceChange>(&text.to_string()).unwrap()
    };
    plan.resource_changes = vec![
        change(
            "guardrail_blast_radius_budget.b",
            BUDGET_TYPE,
            json!({"environment": null}),
        ),
        change(
            "guardrail_change_gate.g",
            GATE_TYPE,
            json!({"environment": "dev"}),
        ),
        change(
            "guardrail_change_gate.empty",
            GATE_TYPE,
            json!({"environment": ""}),
        ),
        change(
            "hcloud_server.s",
            "hcloud_server",
            json!({"environment": "ignored"}),
        ),
    ];
    let found = environments(&plan, |name| name == "staging");
    let expected = [
        ("dev", false),
        ("production", false),
        ("qa", false),
        ("staging", true),
    ];
    let expected: Vec<Environment> = expected
        .iter()
        .map(|(name, sensitive)| Environment {
            name: name.to_string(),
            sensitive: *sensitive,
        })
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn budgets_fall_back_to_the_configuration_but_never_to_a_sensitive_variable() {
    let mut plan = plan(json!({
        "variables": {"limit": {"value": 2}, "secret_limit": {"value": 9}},
        "configuration": {"root_module": {
            "variables": {"limit": {}, "secret_limit": {"sensitive": true}},
            "resources": [{"address": "guardrail_blast_radius_budget.b", "type": BUDGET_TYPE,
                           "expressions": {"max_destroy": {"references": ["var.limit"]},
                                           "max_replace": {"references": ["var.secret_limit"]}}}]
        }}
    }));
    let change = |actions: Value| {
        let text = json!({"address": "guardrail_blast_radius_budget.b", "type": BUDGET_TYPE,
                          "change": {"actions": actions,
                                     "after": {"environment": "prod", "max_destroy": null,
                                               "max_replace": null, "max_changes": 40,
                                               "scope": ["module.a", 3]}}});
        serde_json::from_str::<ResourceChange>(&text.to_string()).unwrap()
    };
    plan.resource_changes = vec![change(json!(["create"])), change(json!(["delete"]))];
    let budgets = declared_budgets(&plan);
    assert_eq!(budgets.len(), 1);
    let (address, spec) = &budgets[0];
    assert_eq!(*address, "guardrail_blast_radius_budget.b");
    assert_eq!(spec.environment, "prod");
    assert_eq!(spec.max_destroy, Some(2));
    assert_eq!(spec.max_replace, None);
    assert_eq!(spec.max_changes, Some(40));
    assert_eq!(spec.scope, vec!["module.a"]);
}
