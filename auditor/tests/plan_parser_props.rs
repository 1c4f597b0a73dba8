//! The plan parser never panics: arbitrary bytes, arbitrary JSON values, and
//! every truncation of a real plan give a plan or an input error. The members
//! it skips are valid JSON exactly when serde_json says so, whatever the size
//! of the read buffer.

use std::path::Path;

use proptest::prelude::*;
use tfaudit::audit::audit;
use tfaudit::config::{BudgetLimits, Config};
use tfaudit::error::InputError;
use tfaudit::plan::mask::{collect_masked, collect_masked_raw, mask_has_true, Mask};
use tfaudit::plan::parse::PlanError;
use tfaudit::plan::parse::{parse_reader, parse_slice};
use tfaudit::plan::reader::{read_plan, read_plan_buffered};
use tfaudit::plan::scanner::StreamError;
use tfaudit::plan::Plan;
use tfaudit::report::{self, Format, Report};
use tfaudit::rules;

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
        if let Some(parts) = change.sensitive.take() {
            plan.sensitive_strings.extend(parts.strings());
        }
    }
    Some(plan)
}

/// Every member of a plan the parser knows, read or skipped.
const MEMBERS: [&str; 17] = [
    "format_version",
    "terraform_version",
    "variables",
    "planned_values",
    "resource_drift",
    "resource_changes",
    "deferred_changes",
    "output_changes",
    "prior_state",
    "configuration",
    "relevant_attributes",
    "checks",
    "timestamp",
    "applyable",
    "complete",
    "errored",
    "unknown_member",
];

/// A JSON value whose keys never name a plan member (so that a mutation
/// cannot turn skipped bytes into a member the parser reads).
fn skippable_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |number| number.is_finite())
            .prop_map(serde_json::Value::from),
        "(\\PC|[\"\\\\\n\t\u{1}\u{7f}\u{e9}\u{1F600}]){0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z]{1,5}", inner, 0..5)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

/// One edit of a byte string: delete, insert or replace at a position.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Insert(usize, u8),
    Replace(usize, u8),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    // Bytes that matter to JSON's grammar, and any byte.
    let byte = prop_oneof![
        4 => prop::sample::select(b"{}[],:\"\\ \n0123456789.eE+-tfnrulasb/u\x00\x1f\xc3\xa9\xff".to_vec()),
        1 => any::<u8>(),
    ];
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), byte.clone()).prop_map(|(at, byte)| Edit::Insert(at, byte)),
        (any::<usize>(), byte).prop_map(|(at, byte)| Edit::Replace(at, byte)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, edits: &[Edit]) {
    for edit in edits {
        let length = bytes.len();
        match *edit {
            Edit::Delete(at) if length > 0 => {
                bytes.remove(at % length);
            }
            Edit::Insert(at, byte) => bytes.insert(at % (length + 1), byte),
            Edit::Replace(at, byte) if length > 0 => bytes[at % length] = byte,
            Edit::Truncate(at) => bytes.truncate(at % (length + 1)),
            _ => {}
        }
    }
}

/// serde_json's verdict on a whole document, or `None` where it differs from
/// a syntax check for reasons outside the grammar (numbers too large for an
/// f64, nesting deeper than its recursion limit).
fn serde_verdict(bytes: &[u8]) -> Option<bool> {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(_) => Some(true),
        Err(error) => {
            let message = error.to_string();
            if message.contains("number out of range") || message.contains("recursion limit") {
                None
            } else {
                Some(false)
            }
        }
    }
}

/// The line and column of an error lie inside the document.
fn position_is_inside(bytes: &[u8], line: usize, column: usize) -> bool {
    let lines = bytes.split(|byte| *byte == b'\n').count();
    let longest = bytes
        .split(|byte| *byte == b'\n')
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0);
    line >= 1 && line <= lines && column >= 1 && column <= longest + 2
}

/// Audits `bytes` and renders every format: nothing may panic.
fn audit_and_render(bytes: &[u8]) -> Result<(), PlanError> {
    let loaded = parse_slice(bytes, Path::new("fuzz.json"))?;
    let config = Config::default();
    let outcome = audit(&loaded, &config, BudgetLimits::default(), &[]);
    let report = Report {
        command: "plan",
        subject: "fuzz.json".into(),
        summary: outcome.summary.clone(),
        findings: outcome.findings.clone(),
        rules: rules::infos(),
        fail_on: config.fail_on,
        configuration: None,
        options: Default::default(),
    };
    for format in Format::ALL {
        let _ = report::render(format, &report);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn skipped_members_are_checked_like_serde_json_checks_json(
        value in skippable_value(),
        pretty in any::<bool>(),
        edits in prop::collection::vec(edit(), 0..4),
        member in prop::sample::select(&["planned_values", "prior_state", "checks", "unknown_member"][..]),
        buffer in prop_oneof![16usize..80, Just(tfaudit::plan::scanner::DEFAULT_BUFFER)],
    ) {
        let mut skipped = if pretty {
            serde_json::to_vec_pretty(&value).unwrap()
        } else {
            serde_json::to_vec(&value).unwrap()
        };
        apply(&mut skipped, &edits);
        let mut document = format!("{{\"format_version\":\"1.2\",\n\"{member}\":").into_bytes();
        document.extend_from_slice(&skipped);
        document.extend_from_slice(b"\n}\n");
        let Some(valid) = serde_verdict(&document) else {
            return Ok(());
        };
        match read_plan_buffered(document.as_slice(), buffer) {
            Ok(_) => prop_assert!(valid, "accepted invalid JSON: {:?}", String::from_utf8_lossy(&document)),
            Err(StreamError::Syntax { line, column, message }) => {
                prop_assert!(!valid, "rejected valid JSON at {line}:{column} ({message}): {:?}", String::from_utf8_lossy(&document));
                prop_assert!(position_is_inside(&document, line, column), "{line}:{column} is outside the document");
            }
            Err(StreamError::Io(error)) => prop_assert!(false, "{error}"),
        }
    }

    #[test]
    fn the_buffer_size_does_not_change_the_plan(document in plan_document(), pretty in any::<bool>(), buffer in 16usize..300) {
        let bytes = if pretty {
            serde_json::to_vec_pretty(&document).unwrap()
        } else {
            serde_json::to_vec(&document).unwrap()
        };
        let whole = read_plan(bytes.as_slice()).map_err(|error| format!("{error:?}"));
        let small = read_plan_buffered(bytes.as_slice(), buffer).map_err(|error| format!("{error:?}"));
        prop_assert_eq!(format!("{whole:?}"), format!("{small:?}"));
    }

    #[test]
    fn masked_strings_are_found_without_building_the_value(value in skippable_value(), mask in json_value()) {
        // Compared with the value as parsed from the same text (serde_json
        // reads floats faster than exactly).
        let text = serde_json::to_string(&value).unwrap();
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        let mut from_value = Vec::new();
        collect_masked(&reparsed, &mask, &mut from_value);
        let raw = serde_json::value::RawValue::from_string(text).unwrap();
        let mut from_raw = Vec::new();
        if mask_has_true(&mask) {
            let mask = Mask::parse(&mask.to_string());
            collect_masked_raw(&raw, &mask, &mut from_raw);
        }
        from_value.sort();
        from_raw.sort();
        prop_assert_eq!(from_value, from_raw);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_slice(&bytes, Path::new("fuzz.json"));
        let _ = parse_reader(bytes.as_slice(), Path::new("fuzz.json"));
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        let bytes = serde_json::to_vec(&value).unwrap();
        let _ = parse_slice(&bytes, Path::new("fuzz.json"));
        // The same value made a plan (format 1.2, planned_values present)
        // gets past the format check into every rule and reporter.
        if let serde_json::Value::Object(mut members) = value {
            members.insert("format_version".into(), "1.2".into());
            members.entry("planned_values").or_insert_with(|| serde_json::json!({}));
            let bytes = serde_json::to_vec(&members).unwrap();
            match audit_and_render(&bytes) {
                Ok(()) | Err(PlanError::Input(InputError::Json { .. })) => {}
                Err(other) => prop_assert!(false, "unexpected error: {other}"),
            }
        }
    }

    #[test]
    fn arbitrary_members_of_a_plan_never_panic_the_audit(
        members in prop::collection::vec((prop::sample::select(&MEMBERS[..]), json_value()), 0..6),
    ) {
        // A plan (format 1.2, planned_values present) whose members hold
        // arbitrary values: parsing, every rule and every reporter run.
        let mut document = serde_json::json!({"format_version": "1.2", "planned_values": {}});
        for (member, value) in members {
            if member != "format_version" {
                document[member] = value;
            }
        }
        let bytes = serde_json::to_vec(&document).unwrap();
        match audit_and_render(&bytes) {
            Ok(()) | Err(PlanError::Input(InputError::Json { .. })) => {}
            Err(PlanError::Input(InputError::Field { field, .. })) => prop_assert_eq!(field, "planned_values"),
            Err(other) => prop_assert!(false, "unexpected error: {other}"),
        }
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
            Err(PlanError::Input(InputError::Json { line, .. })) => prop_assert!(line >= 1),
            Err(other) => prop_assert!(false, "expected a JSON error, got {other}"),
            Ok(_) => prop_assert!(false, "a plan cut at byte {cut} was accepted"),
        }
    }
}
