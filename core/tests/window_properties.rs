//! Property tests: the window evaluator against a brute-force reference.
//!
//! The reference sweeps UTC minute by minute, records the first instant each
//! local wall-clock minute is reached (so a time in a spring-forward gap maps
//! to the end of the gap and a time in an autumn fold to its first
//! occurrence), marks every allow opening and blackout on a minute grid and
//! reads openings and closings off that grid.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use guardrail_core::window::{AllowSpec, DenySpec, WindowSpec};
use proptest::prelude::*;

const ZONES: [&str; 6] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
];
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
/// Minutes checked one by one in each case.
const CHECKED_MINUTES: i64 = 2 * 1440;
/// Reference grid margin before the checked span and after it.
const MARGIN_MINUTES: i64 = 3 * 1440;
const TAIL_MINUTES: i64 = 4 * 1440;

#[derive(Debug, Clone)]
enum MinuteField {
    Step(u32),
    List(Vec<u32>),
}

#[derive(Debug, Clone)]
enum HourField {
    Any,
    Range(u32, u32),
    List(Vec<u32>),
}

#[derive(Debug, Clone)]
enum GenAllow {
    Weekly {
        days: [bool; 7],
        start: u32,
        end: u32,
    },
    Cron {
        minutes: MinuteField,
        hours: HourField,
        days_of_month: Option<Vec<u32>>,
        months: Option<Vec<u32>>,
        /// 0 = Sunday; rendered as 7 or `sun` when `sunday_as_seven`.
        days_of_week: Option<Vec<u32>>,
        sunday_as_seven: bool,
        month_names: bool,
        duration_minutes: i64,
    },
}

#[derive(Debug, Clone)]
struct GenDeny {
    /// Minutes from the start of the checked span.
    from_offset: i64,
    length: i64,
    as_local: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    zone: &'static str,
    span_start: DateTime<Utc>,
    allows: Vec<GenAllow>,
    denies: Vec<GenDeny>,
}

fn clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn join(values: &[u32]) -> String {
    values
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn minute_values(field: &MinuteField) -> Vec<u32> {
    match field {
        MinuteField::Step(step) => (0..60).step_by(*step as usize).collect(),
        MinuteField::List(values) => values.clone(),
    }
}

fn hour_values(field: &HourField) -> Vec<u32> {
    match field {
        HourField::Any => (0..24).collect(),
        HourField::Range(low, high) => (*low..=*high).collect(),
        HourField::List(values) => values.clone(),
    }
}

impl GenAllow {
    fn render(&self) -> AllowSpec {
        match self {
            GenAllow::Weekly { days, start, end } => AllowSpec {
                days: Some(
                    (0..7)
                        .filter(|index| days[*index])
                        .map(|index| DAY_NAMES[index].to_string())
                        .collect(),
                ),
                start: Some(clock(*start)),
                end: Some(if *end == 1440 {
                    "24:00".to_string()
                } else {
                    clock(*end)
                }),
                ..AllowSpec::default()
            },
            GenAllow::Cron {
                minutes,
                hours,
                days_of_month,
                months,
                days_of_week,
                sunday_as_seven,
                month_names,
                duration_minutes,
            } => {
                let minute_text = match minutes {
                    MinuteField::Step(step) => format!("*/{step}"),
                    MinuteField::List(values) => join(values),
                };
                let hour_text = match hours {
                    HourField::Any => "*".to_string(),
                    HourField::Range(low, high) => format!("{low}-{high}"),
                    HourField::List(values) => join(values),
                };
                let dom_text = days_of_month.as_deref().map_or("*".to_string(), join);
                let month_text = match months {
                    None => "*".to_string(),
                    Some(values) if *month_names => values
                        .iter()
                        .map(|month| MONTH_NAMES[*month as usize - 1].to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    Some(values) => join(values),
                };
                let dow_text = match days_of_week {
                    None => "*".to_string(),
                    Some(values) => values
                        .iter()
                        .map(|day| match (*day, *sunday_as_seven) {
                            (0, true) => "7".to_string(),
                            (0, false) => "sun".to_string(),
                            (day, _) => day.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                };
                AllowSpec {
                    cron: Some(format!(
                        "{minute_text} {hour_text} {dom_text} {month_text} {dow_text}"
                    )),
                    duration: Some(format!("{duration_minutes}m")),
                    ..AllowSpec::default()
                }
            }
        }
    }
}

impl Scenario {
    fn tz(&self) -> Tz {
        self.zone.parse().expect("known zone")
    }

    fn spec(&self) -> WindowSpec {
        let tz = self.tz();
        WindowSpec {
            timezone: self.zone.to_string(),
            allow: self.allows.iter().map(GenAllow::render).collect(),
            deny: self
                .denies
                .iter()
                .map(|deny| {
                    let from = self.span_start + Duration::minutes(deny.from_offset);
                    let to = from + Duration::minutes(deny.length);
                    let show = |at: DateTime<Utc>| {
                        if deny.as_local {
                            at.with_timezone(&tz)
                                .naive_local()
                                .format("%Y-%m-%dT%H:%M")
                                .to_string()
                        } else {
                            at.to_rfc3339()
                        }
                    };
                    DenySpec {
                        from: show(from),
                        to: show(to),
                        reason: "maintenance".to_string(),
                    }
                })
                .collect(),
        }
    }
}

/// Open/closed for every UTC minute from `first` on.
struct Reference {
    first: DateTime<Utc>,
    open: Vec<bool>,
}

fn minute_key(local: NaiveDateTime) -> i64 {
    local.and_utc().timestamp().div_euclid(60)
}

impl Reference {
    fn build(scenario: &Scenario) -> Self {
        let tz = scenario.tz();
        let first = scenario.span_start - Duration::minutes(MARGIN_MINUTES);
        let total = (MARGIN_MINUTES + CHECKED_MINUTES + TAIL_MINUTES) as usize;
        // First UTC minute (index) at which each local minute has been reached.
        let mut reached_at: HashMap<i64, usize> = HashMap::new();
        let mut highest = minute_key((first).with_timezone(&tz).naive_local()) - 1;
        let mut local_minutes = Vec::new();
        for index in 0..total {
            let at = first + Duration::minutes(index as i64);
            let local = minute_key(at.with_timezone(&tz).naive_local());
            while highest < local {
                highest += 1;
                reached_at.insert(highest, index);
            }
            local_minutes.push(local);
        }
        let resolve = |local: NaiveDateTime| reached_at.get(&minute_key(local)).copied();
        let mut open = vec![scenario.allows.is_empty(); total];
        let mark = |from: usize, to: usize, value: bool, open: &mut Vec<bool>| {
            for slot in open.iter_mut().take(to.min(total)).skip(from) {
                *slot = value;
            }
        };
        let first_local_date = first.with_timezone(&tz).date_naive();
        let last_local_date = (first + Duration::minutes(total as i64))
            .with_timezone(&tz)
            .date_naive();
        for allow in &scenario.allows {
            match allow {
                GenAllow::Weekly { days, start, end } => {
                    let mut date = first_local_date + Duration::days(1);
                    while date + Duration::days(2) <= last_local_date {
                        if days[date.weekday().num_days_from_monday() as usize] {
                            let midnight = date.and_hms_opt(0, 0, 0).expect("midnight");
                            let end_minutes = if end <= start { end + 1440 } else { *end };
                            let opening = resolve(midnight + Duration::minutes(i64::from(*start)));
                            let closing =
                                resolve(midnight + Duration::minutes(i64::from(end_minutes)));
                            if let (Some(opening), Some(closing)) = (opening, closing) {
                                mark(opening, closing, true, &mut open);
                            }
                        }
                        date += Duration::days(1);
                    }
                }
                GenAllow::Cron {
                    minutes,
                    hours,
                    days_of_month,
                    months,
                    days_of_week,
                    duration_minutes,
                    ..
                } => {
                    let minutes = minute_values(minutes);
                    let hours = hour_values(hours);
                    let day_matches = |date: NaiveDate| {
                        let month_ok = months
                            .as_ref()
                            .is_none_or(|list| list.contains(&date.month()));
                        let dom = days_of_month
                            .as_ref()
                            .map(|list| list.contains(&date.day()));
                        let dow = days_of_week
                            .as_ref()
                            .map(|list| list.contains(&date.weekday().num_days_from_sunday()));
                        let day_ok = match (dom, dow) {
                            (Some(dom), Some(dow)) => dom || dow,
                            (Some(dom), None) => dom,
                            (None, Some(dow)) => dow,
                            (None, None) => true,
                        };
                        month_ok && day_ok
                    };
                    let mut date = first_local_date;
                    while date <= last_local_date {
                        if day_matches(date) {
                            for hour in &hours {
                                for minute in &minutes {
                                    let local =
                                        date.and_hms_opt(*hour, *minute, 0).expect("valid time");
                                    if let Some(opening) = resolve(local) {
                                        let closing = opening + *duration_minutes as usize;
                                        mark(opening, closing, true, &mut open);
                                    }
                                }
                            }
                        }
                        date += Duration::days(1);
                    }
                }
            }
        }
        for deny in &scenario.denies {
            let from = scenario.span_start + Duration::minutes(deny.from_offset);
            let to = from + Duration::minutes(deny.length);
            let index = |at: DateTime<Utc>| {
                if deny.as_local {
                    resolve(at.with_timezone(&tz).naive_local()).expect("deny inside the grid")
                } else {
                    ((at - first).num_minutes()) as usize
                }
            };
            mark(index(from), index(to), false, &mut open);
        }
        Self { first, open }
    }

    fn index_of(&self, at: DateTime<Utc>) -> usize {
        (at - self.first).num_minutes() as usize
    }

    fn at_index(&self, index: usize) -> DateTime<Utc> {
        self.first + Duration::minutes(index as i64)
    }
}

/// The instants in `year` at which the zone's offset changes, to the minute.
fn transitions(tz: Tz, year: i32) -> Vec<DateTime<Utc>> {
    let offset_at = |at: DateTime<Utc>| at.with_timezone(&tz).naive_local() - at.naive_utc();
    let mut found = Vec::new();
    let mut at = Utc
        .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .expect("new year");
    let end = Utc
        .with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0)
        .single()
        .expect("new year");
    while at < end {
        let next = at + Duration::hours(6);
        if offset_at(at) != offset_at(next) {
            let mut minute = at;
            while offset_at(minute) == offset_at(at) {
                minute += Duration::minutes(1);
            }
            found.push(minute);
        }
        at = next;
    }
    found
}

/// A scenario centred on a real offset change of its zone (when it has one),
/// with clock times near the wall-clock time of that change.
fn scenario_strategy() -> impl Strategy<Value = Scenario> {
    (
        proptest::sample::select(ZONES.to_vec()),
        2000i32..2037,
        any::<proptest::sample::Index>(),
        0i64..CHECKED_MINUTES,
        any::<bool>(),
    )
        .prop_flat_map(|(zone, year, which, lead, random_span)| {
            let tz: Tz = zone.parse().expect("known zone");
            let changes = transitions(tz, year);
            let anchor = if changes.is_empty() || random_span {
                Utc.with_ymd_and_hms(year, 1, 1, 0, 0, 0)
                    .single()
                    .expect("new year")
                    + Duration::minutes(which.index(365 * 1440) as i64)
            } else {
                *which.get(&changes)
            };
            let span_start = anchor - Duration::minutes(lead);
            let local_clock = (anchor - Duration::minutes(1))
                .with_timezone(&tz)
                .naive_local()
                .time();
            let hint = local_clock.hour() * 60 + local_clock.minute() + 1;
            let clock = move || {
                prop_oneof![
                    3 => (0u32..240).prop_map(move |delta| (hint + 1440 - 120 + delta) % 1440),
                    1 => (0u32..48).prop_map(|half_hour| half_hour * 30),
                    1 => 0u32..1440,
                ]
            };
            let weekly = (
                proptest::array::uniform7(any::<bool>()),
                0usize..7,
                clock(),
                prop_oneof![1 => Just(1440u32), 4 => clock()],
            )
                .prop_map(|(mut days, forced, start, end)| {
                    days[forced] = true;
                    GenAllow::Weekly { days, start, end }
                });
            let hint_hour = hint / 60 % 24;
            let allow = prop_oneof![3 => weekly, 2 => cron_strategy(hint_hour)];
            let deny = (
                -1440i64..CHECKED_MINUTES + 1440,
                180i64..3000,
                any::<bool>(),
            )
                .prop_map(|(from_offset, length, as_local)| GenDeny {
                    from_offset,
                    length,
                    as_local,
                });
            (
                proptest::collection::vec(allow, 0..3),
                proptest::collection::vec(deny, 0..3),
            )
                .prop_map(move |(allows, denies)| Scenario {
                    zone,
                    span_start,
                    allows,
                    denies,
                })
        })
}

fn sorted_unique(mut values: Vec<u32>) -> Vec<u32> {
    values.sort_unstable();
    values.dedup();
    values
}

fn cron_strategy(hint_hour: u32) -> impl Strategy<Value = GenAllow> {
    let minutes = prop_oneof![
        proptest::sample::select(vec![5u32, 10, 15, 20, 30]).prop_map(MinuteField::Step),
        proptest::collection::vec(0u32..60, 1..4)
            .prop_map(|values| MinuteField::List(sorted_unique(values))),
    ];
    let hours = prop_oneof![
        1 => Just(HourField::Any),
        2 => (0u32..24, 0u32..6).prop_map(|(low, width)| HourField::Range(low, (low + width).min(23))),
        2 => proptest::collection::vec(0u32..3, 1..3)
            .prop_map(move |deltas| HourField::List(sorted_unique(deltas.iter().map(|delta| (hint_hour + 23 + delta) % 24).collect()))),
    ];
    let days_of_month = proptest::option::weighted(
        0.3,
        proptest::collection::vec(1u32..32, 1..5).prop_map(sorted_unique),
    );
    let months = proptest::option::weighted(
        0.2,
        proptest::collection::vec(1u32..13, 3..8).prop_map(sorted_unique),
    );
    let days_of_week = proptest::option::weighted(
        0.5,
        proptest::collection::vec(0u32..7, 1..4).prop_map(sorted_unique),
    );
    (
        minutes,
        hours,
        days_of_month,
        months,
        days_of_week,
        any::<bool>(),
        any::<bool>(),
        1i64..600,
    )
        .prop_map(
            |(
                minutes,
                hours,
                days_of_month,
                months,
                days_of_week,
                sunday_as_seven,
                month_names,
                duration_minutes,
            )| {
                GenAllow::Cron {
                    minutes,
                    hours,
                    days_of_month,
                    months,
                    days_of_week,
                    sunday_as_seven,
                    month_names,
                    duration_minutes,
                }
            },
        )
}

/// `PROPTEST_CASES` raises the case count for a longer run.
fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases_or(48), ..ProptestConfig::default() })]

    #[test]
    fn status_agrees_with_the_minute_by_minute_reference(scenario in scenario_strategy()) {
        let window = scenario.spec().compile().map_err(|error| TestCaseError::fail(format!("{error}")))?;
        let reference = Reference::build(&scenario);
        let start = reference.index_of(scenario.span_start);
        let trusted_end = reference.open.len() - TAIL_MINUTES as usize + 1440;
        // next_change[i]: first index after i whose state differs from index i.
        let mut next_change = vec![None; reference.open.len()];
        for index in (0..reference.open.len() - 1).rev() {
            next_change[index] = if reference.open[index + 1] != reference.open[index] {
                Some(index + 1)
            } else {
                next_change[index + 1]
            };
        }
        let tz = scenario.tz();
        let checked = next_change.iter().enumerate().skip(start).take(CHECKED_MINUTES as usize);
        for (index, next) in checked {
            let at = reference.at_index(index);
            let status = window.status_at(at);
            let expected_open = reference.open[index];
            prop_assert_eq!(status.open, expected_open, "at {} ({}): {}", at, at.with_timezone(&tz), status.reason);
            let (reported, other) = if expected_open {
                (status.closes_at, status.opens_at)
            } else {
                (status.opens_at, status.closes_at)
            };
            prop_assert!(other.is_none(), "at {}: {:?}", at, status);
            let expected = next.filter(|change| *change < trusted_end).map(|change| reference.at_index(change));
            match (reported, expected) {
                (Some(reported), Some(expected)) => {
                    prop_assert_eq!(reported.with_timezone(&Utc), expected, "next change after {} ({:?})", at, status);
                    let offset = tz.offset_from_utc_datetime(&expected.naive_utc());
                    prop_assert_eq!(reported.offset().local_minus_utc(), chrono::Offset::fix(&offset).local_minus_utc());
                    let there = window.status_at(expected);
                    prop_assert_eq!(there.open, !expected_open, "state at the reported change {}", expected);
                }
                (None, Some(expected)) => prop_assert!(false, "at {}: no change reported, reference changes at {}", at, expected),
                (Some(reported), None) => prop_assert!(
                    reported.with_timezone(&Utc) >= reference.at_index(trusted_end),
                    "at {}: change reported at {} but none before {}", at, reported, reference.at_index(trusted_end)
                ),
                (None, None) => {}
            }
        }
    }

    #[test]
    fn boundaries_are_exact_to_the_second(scenario in scenario_strategy(), second in 0i64..CHECKED_MINUTES * 60) {
        let window = scenario.spec().compile().map_err(|error| TestCaseError::fail(format!("{error}")))?;
        let at = scenario.span_start + Duration::seconds(second);
        let status = window.status_at(at);
        let next = if status.open { status.closes_at } else { status.opens_at };
        if let Some(next) = next {
            let next = next.with_timezone(&Utc);
            prop_assert!(next > at);
            prop_assert_eq!(window.status_at(next).open, !status.open);
            prop_assert_eq!(window.status_at(next - Duration::seconds(1)).open, status.open);
            prop_assert_eq!(next.second(), 0);
        }
    }
}
