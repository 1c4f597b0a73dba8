//! Budgets: validation, scope matching and limit checks.

use guardrail_core::budget::{BudgetSpec, BudgetViolation, ChangeCounts, ChangeKind};

fn budget() -> BudgetSpec {
    BudgetSpec {
        environment: "prod".into(),
        max_destroy: Some(0),
        max_replace: Some(1),
        max_changes: Some(10),
        protected_types: vec!["hcloud_volume".into()],
        scope: vec!["module.cluster".into()],
    }
}

#[test]
fn a_complete_budget_is_valid() {
    assert_eq!(budget().validate(), Ok(()));
    let unlimited = BudgetSpec {
        environment: "staging-eu".into(),
        ..BudgetSpec::default()
    };
    assert_eq!(unlimited.validate(), Ok(()));
}

#[test]
fn invalid_fields_are_named_with_what_was_expected() {
    type Edit = fn(&mut BudgetSpec);
    let cases: [(&str, Edit, &str, &str); 10] = [
        (
            "negative destroy",
            |b| b.max_destroy = Some(-1),
            "max_destroy",
            "must be zero or more, got -1",
        ),
        (
            "negative replace",
            |b| b.max_replace = Some(-5),
            "max_replace",
            "must be zero or more, got -5",
        ),
        (
            "negative changes",
            |b| b.max_changes = Some(i64::MIN),
            "max_changes",
            "must be zero or more",
        ),
        (
            "empty environment",
            |b| b.environment = String::new(),
            "environment",
            "expected 1-63 lowercase",
        ),
        (
            "uppercase environment",
            |b| b.environment = "Prod".into(),
            "environment",
            "'P' is not allowed",
        ),
        (
            "protected type with a space",
            |b| b.protected_types.push("hcloud server".into()),
            "protected_types[1]",
            "expected a resource type",
        ),
        (
            "empty protected type",
            |b| b.protected_types[0] = String::new(),
            "protected_types[0]",
            "expected a resource type",
        ),
        (
            "scope without module keyword",
            |b| b.scope.push("cluster".into()),
            "scope[1]",
            "expected a module address",
        ),
        (
            "scope with trailing dot",
            |b| b.scope[0] = "module.cluster.".into(),
            "scope[0]",
            "expected a module address",
        ),
        (
            "scope with open key",
            |b| b.scope[0] = "module.nodes[\"eu".into(),
            "scope[0]",
            "expected a module address",
        ),
    ];
    for (name, edit, field, fragment) in cases {
        let mut spec = budget();
        edit(&mut spec);
        let error = spec.validate().expect_err(name);
        assert_eq!(error.field, field, "{name}: {error}");
        assert!(error.message.contains(fragment), "{name}: {error}");
        assert_eq!(
            error.to_string(),
            format!("{}: {}", error.field, error.message)
        );
    }
}

#[test]
fn scope_accepts_nested_and_keyed_module_addresses() {
    for scope in [
        "module.cluster",
        "module.cluster.module.nodes",
        "module.nodes[0]",
        "module.nodes[\"eu-central\"]",
        "module.nodes[\"a.b\\\"c\"].module.disk",
        "module.k3s_cluster-v2",
    ] {
        let spec = BudgetSpec {
            scope: vec![scope.into()],
            ..budget()
        };
        assert_eq!(spec.validate(), Ok(()), "{scope}");
    }
}

#[test]
fn scope_matches_whole_module_path_segments() {
    let cases = [
        // (scope, address, in scope)
        (
            "module.cluster",
            "module.cluster.hcloud_server.control[0]",
            true,
        ),
        (
            "module.cluster",
            "module.cluster.data.hcloud_image.arm",
            true,
        ),
        (
            "module.cluster",
            "module.cluster.module.nodes.hcloud_server.x",
            true,
        ),
        (
            "module.cluster",
            "module.cluster[\"eu\"].hcloud_server.x",
            true,
        ),
        ("module.cluster", "module.cluster[0].hcloud_server.x", true),
        ("module.cluster", "module.cluster", true),
        ("module.cluster", "module.clusterx.hcloud_server.x", false),
        (
            "module.cluster",
            "module.cluster_old.hcloud_server.x",
            false,
        ),
        ("module.cluster", "module.cluster-2.hcloud_server.x", false),
        ("module.cluster", "hcloud_server.cluster", false),
        (
            "module.cluster",
            "module.other.module.cluster.hcloud_server.x",
            false,
        ),
        (
            "module.cluster[\"eu\"]",
            "module.cluster[\"eu\"].hcloud_server.x",
            true,
        ),
        (
            "module.cluster[\"eu\"]",
            "module.cluster[\"us\"].hcloud_server.x",
            false,
        ),
        (
            "module.cluster[\"eu\"]",
            "module.cluster[\"eu-2\"].hcloud_server.x",
            false,
        ),
        (
            "module.cluster[1]",
            "module.cluster[10].hcloud_server.x",
            false,
        ),
        (
            "module.cluster.module.nodes",
            "module.cluster.module.nodes[\"a\"].hcloud_server.x",
            true,
        ),
        (
            "module.cluster.module.nodes",
            "module.cluster.hcloud_server.x",
            false,
        ),
    ];
    for (scope, address, expected) in cases {
        let spec = BudgetSpec {
            scope: vec![scope.into()],
            ..budget()
        };
        assert_eq!(spec.in_scope(address), expected, "{address} in {scope}");
    }
}

#[test]
fn an_empty_scope_covers_every_address_and_several_prefixes_any_of_them() {
    let everything = BudgetSpec {
        scope: vec![],
        ..budget()
    };
    assert!(everything.in_scope("hcloud_server.x"));
    assert!(everything.in_scope("module.anything.hcloud_server.x"));
    let two = BudgetSpec {
        scope: vec!["module.cluster".into(), "module.dns".into()],
        ..budget()
    };
    assert!(two.in_scope("module.dns.cloudflare_record.a"));
    assert!(two.in_scope("module.cluster.hcloud_server.x"));
    assert!(!two.in_scope("module.network.hcloud_network.main"));
}

#[test]
fn check_reports_each_exceeded_limit() {
    let spec = budget(); // destroy 0, replace 1, changes 10
    let cases = [
        (
            ChangeCounts {
                destroy: 0,
                replace: 0,
                changes: 10,
            },
            vec![],
        ),
        (
            ChangeCounts {
                destroy: 1,
                replace: 1,
                changes: 3,
            },
            vec![BudgetViolation {
                limit: "max_destroy",
                allowed: 0,
                actual: 1,
            }],
        ),
        (
            ChangeCounts {
                destroy: 2,
                replace: 2,
                changes: 11,
            },
            vec![
                BudgetViolation {
                    limit: "max_destroy",
                    allowed: 0,
                    actual: 2,
                },
                BudgetViolation {
                    limit: "max_replace",
                    allowed: 1,
                    actual: 2,
                },
                BudgetViolation {
                    limit: "max_changes",
                    allowed: 10,
                    actual: 11,
                },
            ],
        ),
    ];
    for (counts, expected) in cases {
        assert_eq!(spec.check(&counts), expected, "{counts:?}");
    }
}

#[test]
fn unset_limits_are_not_checked() {
    let spec = BudgetSpec {
        environment: "prod".into(),
        max_replace: Some(0),
        ..BudgetSpec::default()
    };
    let counts = ChangeCounts {
        destroy: 500,
        replace: 0,
        changes: 9000,
    };
    assert_eq!(spec.check(&counts), vec![]);
}

#[test]
fn plan_actions_are_counted_as_the_limits_define_them() {
    let plan: [&[&str]; 9] = [
        &["create"],
        &["update"],
        &["delete"],
        &["delete", "create"],
        &["create", "delete"],
        &["read"],
        &["no-op"],
        &["no-op"],
        &["forget"],
    ];
    let mut counts = ChangeCounts::default();
    for actions in plan {
        counts.record(ChangeKind::from_actions(actions).expect("known actions"));
    }
    // destroy: delete + 2 replaces; replace: 2; changes: everything but read and no-ops.
    assert_eq!(
        counts,
        ChangeCounts {
            destroy: 3,
            replace: 2,
            changes: 6
        }
    );
    assert_eq!(ChangeKind::from_actions(&["delete", "delete"]), None);
    assert_eq!(ChangeKind::from_actions::<&str>(&[]), None);
    assert!(ChangeKind::Replace.destroys() && ChangeKind::Delete.destroys());
    assert!(!ChangeKind::Forget.destroys());
}

#[test]
fn protected_types_match_exactly() {
    let spec = budget();
    assert!(spec.protects("hcloud_volume"));
    assert!(!spec.protects("hcloud_volume_attachment"));
    assert!(!spec.protects("hcloud"));
}

#[test]
fn budget_json_mirrors_the_resource_attributes() {
    let spec: BudgetSpec = serde_json::from_str(
        r#"{"environment":"prod","max_destroy":0,"max_replace":null,"protected_types":["hcloud_volume"],"scope":[]}"#,
    )
    .expect("budget JSON");
    assert_eq!(spec.max_destroy, Some(0));
    assert_eq!(spec.max_replace, None);
    assert_eq!(spec.max_changes, None);
    assert_eq!(spec.validate(), Ok(()));
    let nulls: BudgetSpec = serde_json::from_str(
        r#"{"environment":"prod","max_destroy":null,"max_replace":null,"max_changes":null,"protected_types":null,"scope":null}"#,
    )
    .expect("plan JSON with null attributes");
    assert_eq!(
        nulls,
        BudgetSpec {
            environment: "prod".into(),
            ..BudgetSpec::default()
        }
    );
}
