//! Five-field cron expressions, parsed and evaluated by the `croner` crate on
//! local wall-clock minutes. See the `cron` module for the accepted syntax.
//!
//! `croner` sets the bits and searches the matches; this wrapper adapts it at
//! the edge to the documented grammar and messages:
//!
//! * Every field is checked here first, so an error names the field and what
//!   was expected (`minute field `75`: value 75 is out of range: expected
//!   0-59`); croner's errors name neither.
//! * The grammar stays the documented one. The check rewrites each field to
//!   what croner reads the same way: names to numbers, each only in its own
//!   field (croner replaces `mon` anywhere, even in the month field); `?` to `*`
//!   in every field (croner takes `?` only in the day fields); a day-of-week
//!   range ending on Sunday as 0 (`fri-sun`, `5-0`) to end on 7; `a/n` read as
//!   `a` to the field's maximum (croner's "sloppy" ranges, without the `/n` it
//!   also accepts). croner's extensions (`L`, `W`, `#`, a `+` prefix, a seconds
//!   or year field) are refused.
//! * `*/1` and `?` leave a day field unrestricted, like `*`, for the rule that
//!   a day matching either restricted day field counts (croner looks for `*`).
//! * `@midnight` is expanded here (croner knows the other descriptors).
//! * croner searches years 1 to 5000; windows are evaluated from year 1 to
//!   9999. Queries are moved by whole 400-year Gregorian cycles (146 097 days,
//!   exactly 20 871 weeks, so weekdays and leap days repeat) into the years
//!   2000-2399 and the matches moved back.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, Timelike};
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::error::quoted;

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

struct FieldKind {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Value of `names[0]`.
    names_from: u32,
    /// Day-of-week: 7 is Sunday like 0, and a range may end on Sunday (`fri-sun`).
    sunday_also_seven: bool,
}

const FIELDS: [FieldKind; 5] = [
    FieldKind {
        name: "minute",
        min: 0,
        max: 59,
        names: &[],
        names_from: 0,
        sunday_also_seven: false,
    },
    FieldKind {
        name: "hour",
        min: 0,
        max: 23,
        names: &[],
        names_from: 0,
        sunday_also_seven: false,
    },
    FieldKind {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        names_from: 0,
        sunday_also_seven: false,
    },
    FieldKind {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTH_NAMES,
        names_from: 1,
        sunday_also_seven: false,
    },
    FieldKind {
        name: "day-of-week",
        min: 0,
        max: 7,
        names: &DAY_NAMES,
        names_from: 0,
        sunday_also_seven: true,
    },
];

/// The most days each month can have.
const DAYS_IN_MONTH_AT_MOST: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// One 400-year Gregorian cycle, in months.
const CYCLE_MONTHS: u32 = 400 * 12;
/// Queries are moved into `[CYCLE_BASE, CYCLE_BASE + 400)`.
const CYCLE_BASE: i32 = 2000;

fn value(kind: &FieldKind, text: &str, whole: &str) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(position) = kind.names.iter().position(|name| *name == lower) {
        return Ok(kind.names_from + position as u32);
    }
    let expected_names = if kind.names.is_empty() {
        String::new()
    } else {
        format!(" or a name ({})", kind.names.join(", "))
    };
    if text.is_empty() || text.len() > 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{} field {}: expected a number {}-{}{expected_names}",
            kind.name,
            quoted(whole),
            kind.min,
            kind.max
        ));
    }
    let value: u32 = text.parse().unwrap_or(u32::MAX);
    if value < kind.min || value > kind.max {
        return Err(format!(
            "{} field {}: value {value} is out of range: expected {}-{}",
            kind.name,
            quoted(whole),
            kind.min,
            kind.max
        ));
    }
    Ok(value)
}

/// Checks one field against the documented grammar and rewrites it as croner
/// reads it with the same meaning.
fn rewrite_field(kind: &FieldKind, text: &str) -> Result<String, String> {
    if matches!(text, "*" | "?" | "*/1") {
        return Ok("*".to_string());
    }
    let mut parts = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            None => (part, None),
            Some((range, step)) => {
                let step_value = Some(step)
                    .filter(|step| step.len() <= 4 && step.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|step| step.parse::<u32>().ok())
                    .unwrap_or(0);
                if step_value == 0 {
                    return Err(format!(
                        "{} field {}: step {}: expected a whole number of 1 or more",
                        kind.name,
                        quoted(text),
                        quoted(step)
                    ));
                }
                (range, Some(step_value))
            }
        };
        let range = if range == "*" || range == "?" {
            match step {
                Some(_) => "*".to_string(),
                None => format!("{}-{}", kind.min, kind.max),
            }
        } else if let Some((low, high)) = range.split_once('-') {
            let low = value(kind, low, text)?;
            let mut high = value(kind, high, text)?;
            if kind.sunday_also_seven && high == 0 && low > 0 {
                high = 7;
            }
            if low > high {
                return Err(format!(
                    "{} field {}: range start {low} is after its end {high}: expected low-high",
                    kind.name,
                    quoted(text)
                ));
            }
            format!("{low}-{high}")
        } else {
            value(kind, range, text)?.to_string()
        };
        parts.push(match step {
            Some(step) => format!("{range}/{step}"),
            None => range,
        });
    }
    Ok(parts.join(","))
}

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CronSchedule {
    /// Boxed: croner's pattern is a few hundred bytes.
    cron: Box<Cron>,
}

impl CronSchedule {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let expanded = match trimmed.to_ascii_lowercase().as_str() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            _ => trimmed,
        };
        let fields: Vec<&str> = expanded.split_whitespace().collect();
        if fields.len() != FIELDS.len() {
            return Err(format!(
                "{}: expected 5 fields (minute hour day-of-month month day-of-week), got {}",
                quoted(text),
                fields.len()
            ));
        }
        let rewritten = FIELDS
            .iter()
            .zip(&fields)
            .map(|(kind, field)| rewrite_field(kind, field))
            .collect::<Result<Vec<_>, _>>()?;
        let cron = CronParser::builder()
            .seconds(Seconds::Disallowed)
            .year(Year::Disallowed)
            .sloppy_ranges(true)
            .build()
            .parse(&rewritten.join(" "))
            .map_err(|error| {
                format!(
                    "{}: {error}; expected minute hour day-of-month month day-of-week",
                    quoted(text)
                )
            })?;
        let schedule = Self {
            cron: Box::new(cron),
        };
        if schedule.cron.pattern.is_dow_wildcard() && !schedule.some_month_has_a_listed_day() {
            return Err(format!(
                "{}: day-of-month and month never match (no listed month has a listed day)",
                quoted(text)
            ));
        }
        Ok(schedule)
    }

    fn some_month_has_a_listed_day(&self) -> bool {
        let days = self.cron.pattern.days.values();
        self.cron.pattern.months.values().iter().any(|&month| {
            days.iter()
                .any(|&day| u32::from(day) <= DAYS_IN_MONTH_AT_MOST[usize::from(month) - 1])
        })
    }

    fn matches_time(&self, minute_of_day: u32) -> bool {
        let pattern = &self.cron.pattern;
        pattern.hour_match(minute_of_day / 60).unwrap_or(false)
            && pattern.minute_match(minute_of_day % 60).unwrap_or(false)
    }

    /// First matching minute of the day at or after `from_minute`.
    pub(crate) fn first_time_from(&self, from_minute: u32) -> Option<u32> {
        (from_minute..1440).find(|minute| self.matches_time(*minute))
    }

    /// When a matching day's matches fall, computed once per schedule.
    pub(crate) fn daily_shape(&self) -> Option<DailyShape> {
        let first_minute = self.first_time_from(0)?;
        let mut previous = first_minute;
        let mut longest_wait = 0;
        while let Some(next) = self.first_time_from(previous + 1) {
            longest_wait = longest_wait.max(next - previous);
            previous = next;
        }
        Some(DailyShape {
            first_minute,
            last_minute: previous,
            longest_wait,
        })
    }

    /// The first matching local minute at or after `from`, on or before `last_date`.
    pub(crate) fn next_match(
        &self,
        from: NaiveDateTime,
        last_date: NaiveDate,
    ) -> Option<NaiveDateTime> {
        let (moved, cycles) = into_cycle(from)?;
        let found = self.cron.find_next_occurrence(&moved, true).ok()?;
        let found = out_of_cycle(found, cycles)?;
        (found.date() <= last_date).then_some(found)
    }

    /// The last matching local minute at or before `until`, on or after `first_date`.
    pub(crate) fn previous_match(
        &self,
        until: NaiveDateTime,
        first_date: NaiveDate,
    ) -> Option<NaiveDateTime> {
        let (moved, cycles) = into_cycle(until)?;
        let found = self.cron.find_previous_occurrence(&moved, true).ok()?;
        let found = out_of_cycle(found, cycles)?;
        (found.date() >= first_date).then_some(found)
    }
}

/// `local` moved by whole 400-year cycles into the years from [`CYCLE_BASE`],
/// and how many cycles forward it was moved (negative: backward). Seconds
/// below the minute are kept: a match is on a whole minute at or after (or
/// before) them.
fn into_cycle(local: NaiveDateTime) -> Option<(NaiveDateTime, i32)> {
    let cycles = (CYCLE_BASE + 399 - local.year()).div_euclid(400);
    Some((shift(local, cycles)?, cycles))
}

/// A match found in the cycle, moved back.
fn out_of_cycle(found: NaiveDateTime, cycles: i32) -> Option<NaiveDateTime> {
    shift(found.with_nanosecond(0)?, -cycles)
}

fn shift(local: NaiveDateTime, cycles: i32) -> Option<NaiveDateTime> {
    let months = Months::new(CYCLE_MONTHS.checked_mul(cycles.unsigned_abs())?);
    if cycles >= 0 {
        local.checked_add_months(months)
    } else {
        local.checked_sub_months(months)
    }
}

/// The matching minutes of a matching day, in minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DailyShape {
    /// The day's first match.
    pub first_minute: u32,
    /// The day's last match.
    pub last_minute: u32,
    /// The longest wait between two matches within the day.
    pub longest_wait: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn next(expression: &str, from: &str) -> Option<String> {
        let schedule = CronSchedule::parse(expression).unwrap();
        schedule
            .next_match(at(from), NaiveDate::MAX)
            .map(|found| found.format("%Y-%m-%d %H:%M %a").to_string())
    }

    fn previous(expression: &str, until: &str) -> Option<String> {
        let schedule = CronSchedule::parse(expression).unwrap();
        schedule
            .previous_match(at(until), NaiveDate::MIN)
            .map(|found| found.format("%Y-%m-%d %H:%M %a").to_string())
    }

    #[test]
    fn the_documented_grammar_is_read_as_documented() {
        // `?` in every field, `a/n` to the maximum, names in their own field.
        assert_eq!(
            next("? 5/8 ? ? ?", "2026-03-02 00:00:00").as_deref(),
            Some("2026-03-02 05:00 Mon")
        );
        assert_eq!(
            next("50/5 23 * * *", "2026-03-02 23:51:00").as_deref(),
            Some("2026-03-02 23:55 Mon")
        );
        // Sunday as 7, and a range ending on Sunday.
        assert_eq!(
            next("0 9 * * 7", "2026-03-02 00:00:00").as_deref(),
            Some("2026-03-08 09:00 Sun")
        );
        for range in ["fri-sun", "5-0", "FRI-7", "sat,fri-sat,0"] {
            let schedule = CronSchedule::parse(&format!("0 9 * * {range}")).unwrap();
            let last = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
            let mut days = Vec::new();
            let mut from = at("2026-03-02 00:00:00");
            while let Some(found) = schedule.next_match(from, last) {
                days.push(found.format("%a").to_string());
                from = found + chrono::Duration::minutes(1);
            }
            assert_eq!(days, ["Fri", "Sat", "Sun"], "{range}");
        }
        assert_eq!(
            next("@midnight", "2026-03-02 00:00:01").as_deref(),
            Some("2026-03-03 00:00 Tue")
        );
        assert_eq!(
            next("0 0 1 mar *", "2026-03-02 00:00:00").as_deref(),
            Some("2027-03-01 00:00 Mon")
        );
    }

    #[test]
    fn restricted_day_fields_match_either_and_unrestricted_ones_are_ignored() {
        // Either the 1st or a Monday.
        assert_eq!(
            next("0 12 1 * mon", "2026-03-02 13:00:00").as_deref(),
            Some("2026-03-09 12:00 Mon")
        );
        assert_eq!(
            next("0 12 1 * mon", "2026-03-31 13:00:00").as_deref(),
            Some("2026-04-01 12:00 Wed")
        );
        // `*/1` and `?` leave the day of month unrestricted: Mondays only.
        for day_of_month in ["*/1", "?", "*"] {
            assert_eq!(
                next(&format!("0 12 {day_of_month} * mon"), "2026-03-03 00:00:00").as_deref(),
                Some("2026-03-09 12:00 Mon"),
                "{day_of_month}"
            );
        }
    }

    #[test]
    fn extensions_of_the_crate_are_refused_naming_the_field() {
        for (expression, field) in [
            ("0 0 L * *", "day-of-month field `L`"),
            ("0 0 15W * *", "day-of-month field `15W`"),
            ("0 0 * * 5#2", "day-of-week field `5#2`"),
            ("0 0 * * 5L", "day-of-week field `5L`"),
            ("0 0 * * +mon", "day-of-week field `+mon`"),
            ("0 0 * mon *", "month field `mon`"),
            ("0 0 * * jan", "day-of-week field `jan`"),
            ("/5 * * * *", "minute field `/5`"),
        ] {
            let error = CronSchedule::parse(expression).unwrap_err();
            assert!(
                error.contains(field) && error.contains("expected"),
                "{expression}: {error}"
            );
        }
        let error = CronSchedule::parse("0 0 0 * * *").unwrap_err();
        assert!(error.contains("expected 5 fields"), "{error}");
    }

    #[test]
    fn matches_are_found_across_the_whole_supported_range() {
        // 400-year cycles keep weekdays and leap days.
        assert_eq!(
            next("0 0 29 2 *", "9996-03-01 00:00:00").as_deref(),
            Some("+10000-02-29 00:00 Tue")
        );
        assert_eq!(
            next("0 0 29 2 *", "9995-03-01 00:00:00").as_deref(),
            Some("9996-02-29 00:00 Thu")
        );
        assert_eq!(
            previous("0 0 29 2 *", "0005-01-01 00:00:00").as_deref(),
            Some("0004-02-29 00:00 Sun")
        );
        assert_eq!(
            next("30 6 * * mon", "7000-01-01 00:00:00").as_deref(),
            Some("7000-01-06 06:30 Mon")
        );
        assert_eq!(
            previous("30 6 * * mon", "0001-01-07 00:00:00").as_deref(),
            Some("0001-01-01 06:30 Mon")
        );
        assert_eq!(
            previous("30 6 * * mon", "0001-01-01 06:29:59").as_deref(),
            Some("0000-12-25 06:30 Mon")
        );
        let schedule = CronSchedule::parse("30 6 * * mon").unwrap();
        let first_date = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        assert_eq!(
            schedule.previous_match(at("0001-01-01 06:29:59"), first_date),
            None
        );
        let last_date = NaiveDate::from_ymd_opt(7000, 1, 5).unwrap();
        assert_eq!(
            schedule.next_match(at("7000-01-01 00:00:00"), last_date),
            None
        );
    }

    #[test]
    fn times_of_day() {
        let schedule = CronSchedule::parse("*/20 9-10 * * *").unwrap();
        assert_eq!(schedule.first_time_from(0), Some(540));
        assert_eq!(schedule.first_time_from(541), Some(560));
        assert_eq!(schedule.first_time_from(641), None);
        assert_eq!(
            schedule.daily_shape(),
            Some(DailyShape {
                first_minute: 540,
                last_minute: 640,
                longest_wait: 20
            })
        );
        // Matches are whole minutes, at or after (or before) the seconds given.
        assert_eq!(
            next("30 6 * * *", "2026-03-02 06:29:30").as_deref(),
            Some("2026-03-02 06:30 Mon")
        );
        assert_eq!(
            next("30 6 * * *", "2026-03-02 06:30:00").as_deref(),
            Some("2026-03-02 06:30 Mon")
        );
        assert_eq!(
            next("30 6 * * *", "2026-03-02 06:30:01").as_deref(),
            Some("2026-03-03 06:30 Tue")
        );
        assert_eq!(
            previous("30 6 * * *", "2026-03-02 06:30:59").as_deref(),
            Some("2026-03-02 06:30 Mon")
        );
        assert_eq!(
            previous("30 6 * * *", "2026-03-02 06:29:59").as_deref(),
            Some("2026-03-01 06:30 Sun")
        );
    }
}
