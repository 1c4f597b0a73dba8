//! The plan parser never panics: arbitrary bytes, arbitrary JSON values, and
//! every truncation of a real plan give a plan or an input error.

use std::path::Path;

use proptest::prelude::*;
use tfaudit::error::AuditError;
use tfaudit::plan::model::Plan;
use tfaudit::plan::parse::{parse_reader, parse_slice};

fn real_plan() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/plans/lifecycle/plan.json"),
    )
    .unwrap()
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z0-9_.\\-]{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let keys = prop_oneof![
            Just("format_version".to_string()),
            Just("planned_values".to_string()),
            Just("resource_changes".to_string()),
            Just("change".to_string()),
            Just("actions".to_string()),
            Just("after".to_string()),
            Just("after_sensitive".to_string()),
            Just("output_changes".to_string()),
            Just("configuration".to_string()),
            Just("variables".to_string()),
            "[a-z_]{1,8}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys, inner, 0..6)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A plan-shaped document: the members the parser reads, each either a
/// plausible value or an arbitrary one.
fn plan_document() -> impl Strategy<Value = serde_json::Value> {
    let action = prop_oneof![
        Just(serde_json::json!(["create"])),
        Just(serde_json::json!(["delete", "create"])),
        Just(serde_json::json!(["no-op"])),
        json_value(),
    ];
    let change = (action, json_value(), json_value(), json_value()).prop_map(|(actions, after, mask, extra)| {
        serde_json::json!({
            "address": "hcloud_server.a",
            "type": "hcloud_server",
            "change": {"actions": actions, "after": after, "after_sensitive": mask, "after_unknown": extra}
        })
    });
    let changes = prop::collection::vec(prop_oneof![change, json_value()], 0..4);
    let object_or_any = || prop_oneof![Just(serde_json::json!({})), json_value()];
    (
        changes,
        object_or_any(),
        object_or_any(),
        json_value(),
        any::<bool>(),
    )
        .prop_map(
            |(changes, outputs, configuration, ignored, with_planned_values)| {
                let mut document = serde_json::json!({
                    "format_version": "1.2",
                    "resource_changes": changes,
                    "output_changes": outputs,
                    "configuration": configuration,
                    "prior_state": ignored,
                });
                if with_planned_values {
                    document["planned_values"] = serde_json::json!({"root_module": {}});
                }
                document
            },
        )
}

/// The plan as whole-document deserialization sees it, with sensitive strings
/// gathered at the plan level as the streaming reader does.
fn whole_document(bytes: &[u8]) -> Option<Plan> {
    let mut plan: Plan = serde_json::from_slice(bytes).ok()?;
    for change in &mut plan.resource_changes {
        plan.sensitive_strings
            .extend(std::mem::take(&mut change.sensitive_strings));
    }
    Some(plan)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_slice(&bytes, Path::new("fuzz.json"));
        let _ = parse_reader(bytes.as_slice(), Path::new("fuzz.json"));
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let _ = parse_slice(&bytes, Path::new("fuzz.json"));
    }

    #[test]
    fn streaming_agrees_with_whole_document_parsing(document in plan_document(), pretty in any::<bool>()) {
        let bytes = if pretty {
            serde_json::to_vec_pretty(&document).unwrap()
        } else {
            serde_json::to_vec(&document).unwrap()
        };
        let streamed = parse_slice(&bytes, Path::new("doc.json")).ok().map(|loaded| loaded.plan);
        let whole = whole_document(&bytes).filter(|plan| plan.planned_values.is_some());
        prop_assert_eq!(format!("{streamed:?}"), format!("{whole:?}"));
    }

    #[test]
    fn truncated_plans_are_json_errors_with_a_position(cut in 0usize..1_000_000) {
        let plan = real_plan();
        let cut = cut % plan.len();
        let truncated = &plan[..cut];
        // The whole plan ends in "}\n": any shorter prefix is incomplete JSON.
        prop_assume!(cut < plan.len() - 2);
        match parse_reader(truncated, Path::new("cut.json")) {
            Err(AuditError::Json { line, .. }) => prop_assert!(line >= 1),
            Err(other) => prop_assert!(false, "expected a JSON error, got {other}"),
            Ok(_) => prop_assert!(false, "a plan cut at byte {cut} was accepted"),
        }
    }
}
