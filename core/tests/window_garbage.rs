//! Arbitrary text in any field never panics: `compile` answers with an error
//! naming that field (or accepts text that happens to be valid), and a
//! compiled window can be evaluated at any instant.

use chrono::DateTime;
use guardrail_core::window::{AllowSpec, DenySpec, WindowSpec};
use proptest::prelude::*;

fn valid_spec() -> WindowSpec {
    WindowSpec {
        timezone: "Europe/Berlin".into(),
        allow: vec![
            AllowSpec {
                days: Some(vec!["mon-fri".into(), "sun".into()]),
                start: Some("09:00".into()),
                end: Some("17:00".into()),
                ..AllowSpec::default()
            },
            AllowSpec {
                cron: Some("0 22 * * 5".into()),
                duration: Some("4h".into()),
                ..AllowSpec::default()
            },
        ],
        deny: vec![DenySpec {
            from: "2026-12-24".into(),
            to: "2027-01-02T00:00:00+01:00".into(),
            reason: "year-end freeze".into(),
        }],
    }
}

/// Field paths that can hold text, and how to put text there.
const FIELDS: [&str; 9] = [
    "timezone",
    "allow[0].days[1]",
    "allow[0].start",
    "allow[0].end",
    "allow[1].cron",
    "allow[1].duration",
    "deny[0].from",
    "deny[0].to",
    "deny[0].reason",
];

fn with_text(field: &str, text: String) -> WindowSpec {
    let mut spec = valid_spec();
    match field {
        "timezone" => spec.timezone = text,
        "allow[0].days[1]" => spec.allow[0].days.as_mut().expect("days")[1] = text,
        "allow[0].start" => spec.allow[0].start = Some(text),
        "allow[0].end" => spec.allow[0].end = Some(text),
        "allow[1].cron" => spec.allow[1].cron = Some(text),
        "allow[1].duration" => spec.allow[1].duration = Some(text),
        "deny[0].from" => spec.deny[0].from = text,
        "deny[0].to" => spec.deny[0].to = text,
        "deny[0].reason" => spec.deny[0].reason = text,
        other => panic!("unknown field {other}"),
    }
    spec
}

/// Text that looks a little like the real thing as often as it looks like noise.
fn text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9:*/,\\- a-zA-Z@?]{0,24}",
        "[0-9]{1,6}:[0-9]{1,4}",
        "[0-9*/,\\-]{1,6} [0-9*/,\\-]{1,6} [0-9*/,\\-?]{1,6} [0-9a-z*/,\\-]{1,6} [0-9a-z*/,\\-?]{1,6}",
        "[0-9]{1,5}[hmsd]{1,2}[0-9]{0,12}[hms]?",
        "[+-]?[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}(T[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?(Z|[+-][0-9]{2}:[0-9]{2})?)?",
        "[A-Z][a-z]{2,8}/[A-Z][a-z_]{2,12}",
    ]
}

fn instants() -> impl Strategy<Value = DateTime<chrono::Utc>> {
    prop_oneof![
        (DateTime::<chrono::Utc>::MIN_UTC.timestamp()
            ..=DateTime::<chrono::Utc>::MAX_UTC.timestamp())
            .prop_map(|seconds| DateTime::from_timestamp(seconds, 0).expect("in range")),
        (-62_135_596_800i64..253_402_300_799)
            .prop_map(|seconds| DateTime::from_timestamp(seconds, 0).expect("in range")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn garbage_in_one_field_is_reported_on_that_field(
        field in proptest::sample::select(FIELDS.to_vec()),
        text in text_strategy(),
        at in instants(),
    ) {
        match with_text(field, text.clone()).compile() {
            Err(error) => {
                // A `to` that parses but is not after `from` is reported on `to`;
                // a text in `days` is reported on the entry itself.
                let reported_on_to = field == "deny[0].from" && error.field == "deny[0].to" && error.message.contains("must be after");
                prop_assert!(error.field == field || reported_on_to, "text {:?}: {}", text, error);
                prop_assert!(!error.message.is_empty());
                prop_assert!(error.message.contains("expected") || error.message.contains("must") || error.message.contains("never"), "{}", error);
            }
            Ok(window) => {
                let status = window.status_at(at);
                prop_assert!(!status.reason.is_empty());
            }
        }
    }

    #[test]
    fn garbage_everywhere_never_panics(
        timezone in text_strategy(),
        days in proptest::option::of(proptest::collection::vec(text_strategy(), 0..3)),
        start in proptest::option::of(text_strategy()),
        end in proptest::option::of(text_strategy()),
        cron in proptest::option::of(text_strategy()),
        duration in proptest::option::of(text_strategy()),
        from in text_strategy(),
        to in text_strategy(),
        at in instants(),
    ) {
        let spec = WindowSpec {
            timezone,
            allow: vec![AllowSpec { days, start, end, cron, duration }],
            deny: vec![DenySpec { from, to, reason: String::new() }],
        };
        match spec.compile() {
            Err(error) => prop_assert!(error.field == "timezone" || error.field.starts_with("allow[0]") || error.field.starts_with("deny[0]"), "{}", error),
            Ok(window) => { let _ = window.status_at(at); }
        }
    }
}
