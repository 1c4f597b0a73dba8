//! Plans large enough that the reader hands the collection of sensitive
//! values to a thread of its own (more than one batch of masked values and of
//! `prior_state` resources): every value is still found, whatever the read
//! buffer and whichever way the plan comes in, and errors after the first
//! batch still name their line and column.

use std::path::Path;

use serde_json::json;
use tfaudit::error::InputError;
use tfaudit::plan::parse::PlanError;
use tfaudit::plan::parse::{load, parse_reader, parse_slice};
use tfaudit::plan::reader::read_plan_buffered;

/// Enough changes for several batches (each change carries ~400 bytes of
/// masked values, each prior_state resource ~300 bytes).
const CHANGES: usize = 3000;

fn padding(i: usize) -> String {
    format!("{i:0>200}")
}

fn large_plan() -> serde_json::Value {
    let changes: Vec<_> = (0..CHANGES)
        .map(|i| {
            json!({
                "address": format!("hcloud_server.s[{i}]"),
                "mode": "managed",
                "type": "hcloud_server",
                "provider_name": "registry.terraform.io/hetznercloud/hcloud",
                "change": {
                    "actions": ["update"],
                    "before": {"name": format!("s{i}"), "user_data": format!("before-secret-{i}"), "note": padding(i)},
                    "after": {"name": format!("s{i}"), "user_data": format!("after-secret-{i}"), "note": padding(i)},
                    "after_unknown": {},
                    "before_sensitive": {"user_data": true},
                    "after_sensitive": {"user_data": true}
                }
            })
        })
        .collect();
    let data_sources: Vec<_> = (0..CHANGES)
        .map(|i| {
            json!({
                "address": format!("data.hcloud_image.i[{i}]"),
                "mode": "data",
                "type": "hcloud_image",
                "values": {"name": format!("i{i}"), "token": format!("data-secret-{i}"), "note": padding(i)},
                "sensitive_values": {"token": true}
            })
        })
        .collect();
    json!({
        "format_version": "1.2",
        "planned_values": {"root_module": {}},
        "resource_changes": changes,
        "prior_state": {"format_version": "1.0", "values": {"root_module": {
            "resources": data_sources[..CHANGES / 2],
            "child_modules": [{"address": "module.m", "resources": data_sources[CHANGES / 2..]}]
        }}}
    })
}

fn expected_secrets() -> Vec<String> {
    let mut expected: Vec<String> = (0..CHANGES)
        .flat_map(|i| {
            [
                format!("before-secret-{i}"),
                format!("after-secret-{i}"),
                format!("data-secret-{i}"),
            ]
        })
        .collect();
    expected.sort();
    expected
}

#[test]
fn every_sensitive_value_is_found_in_every_way_in() {
    let bytes = serde_json::to_vec(&large_plan()).unwrap();
    assert!(bytes.len() > 2 * 1024 * 1024, "the plan spans many batches");
    let expected = expected_secrets();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    std::fs::write(&path, &bytes).unwrap();

    let from_file = load(path.to_str().unwrap(), None).unwrap().plan;
    let from_slice = parse_slice(&bytes, Path::new("plan.json")).unwrap().plan;
    let from_reader = parse_reader(bytes.as_slice(), Path::new("plan.json"))
        .unwrap()
        .plan;
    let small_buffer = read_plan_buffered(bytes.as_slice(), 64).unwrap();
    for (way, plan) in [
        ("file", &from_file),
        ("slice", &from_slice),
        ("reader", &from_reader),
        ("small buffer", &small_buffer),
    ] {
        let found: Vec<String> = plan.sensitive_strings.iter().cloned().collect();
        assert_eq!(found, expected, "{way}");
        assert_eq!(plan.resource_changes.len(), CHANGES, "{way}");
        assert_eq!(
            &*plan.resource_changes[CHANGES - 1].address,
            format!("hcloud_server.s[{}]", CHANGES - 1),
            "{way}: changes keep their order"
        );
    }
}

#[test]
fn errors_after_the_first_batch_name_their_position() {
    let mut plan = large_plan();
    // A type error in the last change, and broken JSON in the last resource.
    plan["resource_changes"][CHANGES - 1]["change"]["actions"] = json!(7);
    let text = serde_json::to_string_pretty(&plan).unwrap();
    let line_of = |needle: &str| {
        text.lines()
            .position(|line| line.contains(needle))
            .map(|index| index + 1)
            .unwrap()
    };
    match parse_slice(text.as_bytes(), Path::new("plan.json")) {
        Err(PlanError::Input(InputError::Json { line, message, .. })) => {
            assert_eq!(line, line_of("\"actions\": 7"), "{message}");
            assert!(message.contains("resource_changes"), "{message}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }

    let last = format!("\"token\": \"data-secret-{}\"", CHANGES - 1);
    let broken = text.replacen(&last, &format!("{last},"), 1);
    match parse_slice(broken.as_bytes(), Path::new("plan.json")) {
        Err(PlanError::Input(InputError::Json { line, message, .. })) => {
            // The trailing comma is reported where the object closes.
            assert!(
                line == line_of(&last) + 1 || line == line_of(&last) + 2,
                "line {line}: {message}"
            );
            assert!(message.contains("prior_state"), "{message}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn a_value_nested_deeper_than_serde_json_follows_still_gives_up_its_secret() {
    let mut plan = large_plan();
    let mut deep = json!("deep-secret");
    for _ in 0..200 {
        deep = json!([deep]);
    }
    plan["prior_state"]["values"]["root_module"]["child_modules"][0]["resources"]
        .as_array_mut()
        .unwrap()
        .push(json!({"values": {"nested": deep}, "sensitive_values": {"nested": true}}));
    let text = serde_json::to_string(&plan).unwrap();
    let plan = parse_slice(text.as_bytes(), Path::new("plan.json"))
        .unwrap()
        .plan;
    assert!(plan.sensitive_strings.contains("deep-secret"));
    // The walk gives up at that depth, so every string of the resource's
    // values counts, the member name `nested` too.
    assert!(plan.sensitive_strings.contains("nested"));
    assert_eq!(plan.sensitive_strings.len(), 3 * CHANGES + 2);
}
