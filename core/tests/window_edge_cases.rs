//! Edge cases outside the data files: a skipped calendar day, extreme
//! instants, and windows that never close or never open.

use std::time::Instant;

use chrono::{DateTime, Utc};
use guardrail_core::window::{AllowSpec, DenySpec, WindowSpec};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("RFC 3339 instant")
}

fn weekly(days: &[&str], start: &str, end: &str) -> AllowSpec {
    AllowSpec {
        days: Some(days.iter().map(|day| day.to_string()).collect()),
        start: Some(start.into()),
        end: Some(end.into()),
        ..AllowSpec::default()
    }
}

fn cron(expression: &str, duration: &str) -> AllowSpec {
    AllowSpec {
        cron: Some(expression.into()),
        duration: Some(duration.into()),
        ..AllowSpec::default()
    }
}

#[test]
fn a_day_skipped_by_the_time_zone_has_no_window_and_cuts_the_one_before_it() {
    // Samoa skipped Friday 2011-12-30 entirely: Thursday 23:59:59 (-10:00)
    // was followed by Saturday 00:00 (+14:00), at 2011-12-30T10:00:00Z.
    let spec = WindowSpec {
        timezone: "Pacific/Apia".into(),
        allow: vec![
            weekly(&["fri"], "09:00", "17:00"),
            weekly(&["thu"], "20:00", "02:00"),
        ],
        deny: vec![],
    };
    let window = spec.compile().expect("valid");
    // Thursday 20:00 -10:00; its Friday 02:00 end never happened, so it ends
    // at the first instant after the gap.
    let thursday_night = window.status_at(at("2011-12-30T09:59:00Z"));
    assert!(thursday_night.open, "{thursday_night:?}");
    assert_eq!(
        thursday_night.closes_at.map(|c| c.to_rfc3339()).as_deref(),
        Some("2011-12-31T00:00:00+14:00")
    );
    // The skipped Friday has no window: the next one is the following Thursday.
    let saturday = window.status_at(at("2011-12-30T10:00:00Z"));
    assert!(!saturday.open, "{saturday:?}");
    assert_eq!(
        saturday.opens_at.map(|o| o.to_rfc3339()).as_deref(),
        Some("2012-01-05T20:00:00+14:00")
    );
}

#[test]
fn a_cron_covering_the_day_back_to_back_leaves_the_repeated_autumn_hour_closed() {
    // Matches are local wall-clock minutes and an ambiguous one counts once,
    // at its first occurrence: on the 25-hour day 02:00 CEST opens until
    // 03:00 CET and the next match, 04:00 CET, comes an hour later.
    let window = WindowSpec {
        timezone: "Europe/Berlin".into(),
        allow: vec![cron("0 */2 * * *", "2h")],
        ..WindowSpec::default()
    }
    .compile()
    .expect("valid");
    let status = window.status_at(at("2026-10-24T12:00:00Z"));
    assert!(status.open);
    assert_eq!(
        status.closes_at.map(|c| c.to_rfc3339()).as_deref(),
        Some("2026-10-25T03:00:00+01:00")
    );
    let hole = window.status_at(at("2026-10-25T02:30:00Z"));
    assert!(!hole.open);
    assert_eq!(
        hole.opens_at.map(|o| o.to_rfc3339()).as_deref(),
        Some("2026-10-25T04:00:00+01:00")
    );
}

#[test]
fn extreme_instants_are_answered_without_panicking() {
    let spec = WindowSpec {
        timezone: "America/New_York".into(),
        allow: vec![
            weekly(&["mon-fri"], "09:00", "17:00"),
            cron("0 0 29 2 *", "1h"),
        ],
        deny: vec![DenySpec {
            from: "9999-12-30".into(),
            to: "9999-12-31T23:00".into(),
            reason: "end of time".into(),
        }],
    };
    let window = spec.compile().expect("valid");
    for instant in [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        at("0001-01-01T00:00:00Z"),
        at("9998-12-31T23:59:59Z"),
        at("9999-12-30T12:00:00Z"),
    ] {
        let status = window.status_at(instant);
        assert!(!status.reason.is_empty());
    }
    let far = window.status_at(DateTime::<Utc>::MAX_UTC);
    assert!(!far.open && far.opens_at.is_none(), "{far:?}");
}

#[test]
fn a_window_that_never_closes_says_so() {
    for spec in [
        WindowSpec::default(),
        WindowSpec {
            allow: vec![weekly(&["mon-sun"], "00:00", "24:00")],
            ..WindowSpec::default()
        },
        WindowSpec {
            allow: vec![cron("0 */2 * * *", "2h")],
            ..WindowSpec::default()
        },
    ] {
        let status = spec
            .compile()
            .expect("valid")
            .status_at(at("2026-03-29T00:30:00Z"));
        assert!(status.open, "{spec:?}: {status:?}");
        assert_eq!(status.closes_at, None, "{spec:?}");
    }
}

#[test]
fn a_window_blacked_out_beyond_the_search_horizon_never_opens() {
    let spec = WindowSpec {
        allow: vec![weekly(&["mon"], "09:00", "10:00")],
        deny: vec![DenySpec {
            from: "2026-01-01".into(),
            to: "2028-01-01".into(),
            reason: "migration".into(),
        }],
        ..WindowSpec::default()
    };
    let status = spec
        .compile()
        .expect("valid")
        .status_at(at("2026-02-02T09:30:00Z"));
    assert!(!status.open);
    assert_eq!(status.opens_at, None, "more than 400 days away");
    assert!(
        status
            .reason
            .contains("'migration' until 2028-01-01T00:00:00+00:00"),
        "{}",
        status.reason
    );
}

#[test]
fn a_cron_open_every_minute_never_closes() {
    let window = WindowSpec {
        allow: vec![cron("* * * * *", "1m")],
        ..WindowSpec::default()
    }
    .compile()
    .expect("valid");
    let started = Instant::now();
    let status = window.status_at(at("2026-06-01T12:00:30Z"));
    let elapsed = started.elapsed();
    assert!(status.open);
    assert_eq!(status.closes_at, None);
    // Walks 400 days of one-minute openings; generous bound for debug builds.
    assert!(elapsed.as_secs() < 10, "took {elapsed:?}");
    println!("every-minute cron evaluated in {elapsed:?}");
}

#[test]
fn plan_json_with_null_attributes_reads_as_unset() {
    let spec: WindowSpec = serde_json::from_str(
        r#"{
            "timezone": null,
            "allow": [{"days": ["sat"], "start": null, "end": null, "cron": null, "duration": null}],
            "deny": [{"from": "2026-06-06T10:00:00Z", "to": "2026-06-06T11:00:00Z", "reason": null}]
        }"#,
    )
    .expect("plan JSON");
    assert_eq!(spec.timezone, "");
    assert_eq!(spec.allow[0].start, None);
    assert_eq!(spec.deny[0].reason, "");
    let window = spec.compile().expect("valid");
    assert_eq!(window.timezone(), "UTC");
    let status = window.status_at(at("2026-06-06T10:30:00Z"));
    assert!(!status.open);
    assert!(
        status
            .reason
            .contains("blackout deny[0] until 2026-06-06T11:00:00+00:00"),
        "{}",
        status.reason
    );
    let no_blocks: WindowSpec =
        serde_json::from_str(r#"{"allow": null, "deny": null}"#).expect("plan JSON");
    assert_eq!(no_blocks, WindowSpec::default());
}
