//! Parsing five-field cron expressions and finding their matching local
//! minutes. See the `cron` module for the accepted syntax.

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

use super::error::quoted;

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAY_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// One field's accepted values as bits (bit `n` set: value `n` matches).
#[derive(Debug, Clone, Copy, PartialEq)]
struct FieldSet {
    bits: u64,
    /// The field was `*` or `?` (unrestricted), which matters for the day rule.
    any: bool,
}

impl FieldSet {
    fn has(&self, value: u32) -> bool {
        value < 64 && self.bits & (1u64 << value) != 0
    }
}

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

const MINUTE: FieldKind = FieldKind {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
    names_from: 0,
    sunday_also_seven: false,
};
const HOUR: FieldKind = FieldKind {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
    names_from: 0,
    sunday_also_seven: false,
};
const DAY_OF_MONTH: FieldKind = FieldKind {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    names_from: 0,
    sunday_also_seven: false,
};
const MONTH: FieldKind = FieldKind {
    name: "month",
    min: 1,
    max: 12,
    names: &MONTH_NAMES,
    names_from: 1,
    sunday_also_seven: false,
};
const DAY_OF_WEEK: FieldKind = FieldKind {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &DAY_NAMES,
    names_from: 0,
    sunday_also_seven: true,
};

fn parse_value(kind: &FieldKind, text: &str, whole: &str) -> Result<u32, String> {
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

fn parse_field(kind: &FieldKind, text: &str) -> Result<FieldSet, String> {
    let mut bits = 0u64;
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
        let (low, high) = if range == "*" || range == "?" {
            (kind.min, kind.max)
        } else if let Some((low, high)) = range.split_once('-') {
            let low = parse_value(kind, low, text)?;
            let mut high = parse_value(kind, high, text)?;
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
            (low, high)
        } else {
            let value = parse_value(kind, range, text)?;
            match step {
                Some(_) => (value, kind.max),
                None => (value, value),
            }
        };
        let step = step.unwrap_or(1);
        let mut value = low;
        while value <= high {
            bits |= 1u64 << value;
            value += step;
        }
    }
    if kind.sunday_also_seven && bits & (1 << 7) != 0 {
        bits = (bits & !(1 << 7)) | 1;
    }
    let trimmed = text.trim();
    let any = trimmed == "*" || trimmed == "?" || trimmed == "*/1";
    Ok(FieldSet { bits, any })
}

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CronSchedule {
    minutes: FieldSet,
    hours: FieldSet,
    days_of_month: FieldSet,
    months: FieldSet,
    days_of_week: FieldSet,
}

const DAYS_IN_MONTH_AT_MOST: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

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
        if fields.len() != 5 {
            return Err(format!(
                "{}: expected 5 fields (minute hour day-of-month month day-of-week), got {}",
                quoted(text),
                fields.len()
            ));
        }
        let schedule = Self {
            minutes: parse_field(&MINUTE, fields[0])?,
            hours: parse_field(&HOUR, fields[1])?,
            days_of_month: parse_field(&DAY_OF_MONTH, fields[2])?,
            months: parse_field(&MONTH, fields[3])?,
            days_of_week: parse_field(&DAY_OF_WEEK, fields[4])?,
        };
        if schedule.days_of_week.any && !schedule.some_month_has_a_listed_day() {
            return Err(format!(
                "{}: day-of-month and month never match (no listed month has a listed day)",
                quoted(text)
            ));
        }
        Ok(schedule)
    }

    fn some_month_has_a_listed_day(&self) -> bool {
        (1..=12u32).any(|month| {
            self.months.has(month)
                && (1..=DAYS_IN_MONTH_AT_MOST[month as usize - 1])
                    .any(|day| self.days_of_month.has(day))
        })
    }

    fn matches_date(&self, date: NaiveDate) -> bool {
        if !self.months.has(date.month()) {
            return false;
        }
        let by_month_day = self.days_of_month.has(date.day());
        let by_week_day = self.days_of_week.has(date.weekday().num_days_from_sunday());
        if self.days_of_month.any || self.days_of_week.any {
            by_month_day && by_week_day
        } else {
            by_month_day || by_week_day
        }
    }

    /// First matching minute of the day at or after `from_minute`.
    pub(crate) fn first_time_from(&self, from_minute: u32) -> Option<u32> {
        for hour in from_minute / 60..24 {
            if !self.hours.has(hour) {
                continue;
            }
            let first_minute = if hour == from_minute / 60 {
                from_minute % 60
            } else {
                0
            };
            let remaining = self.minutes.bits >> first_minute;
            if remaining != 0 {
                let minute = first_minute + remaining.trailing_zeros();
                if minute < 60 {
                    return Some(hour * 60 + minute);
                }
            }
        }
        None
    }

    /// The last matching minute of a matching day and the longest wait
    /// between two matches within such a day (both in minutes).
    pub(crate) fn daily_shape(&self) -> Option<(u32, u32)> {
        let mut previous = self.first_time_from(0)?;
        let mut longest_wait = 0;
        while let Some(next) = self.first_time_from(previous + 1) {
            longest_wait = longest_wait.max(next - previous);
            previous = next;
        }
        Some((previous, longest_wait))
    }

    /// Last matching minute of the day at or before `until_minute`.
    fn last_time_until(&self, until_minute: u32) -> Option<u32> {
        for hour in (0..=until_minute / 60).rev() {
            if !self.hours.has(hour) {
                continue;
            }
            let last_minute = if hour == until_minute / 60 {
                until_minute % 60
            } else {
                59
            };
            let mask = if last_minute >= 63 {
                u64::MAX
            } else {
                (1u64 << (last_minute + 1)) - 1
            };
            let candidates = self.minutes.bits & mask;
            if candidates != 0 {
                return Some(hour * 60 + 63 - candidates.leading_zeros());
            }
        }
        None
    }

    /// The first matching local minute at or after `from`, on or before `last_date`.
    pub(crate) fn next_match(
        &self,
        from: NaiveDateTime,
        last_date: NaiveDate,
    ) -> Option<NaiveDateTime> {
        let mut date = from.date();
        let mut from_minute = from.hour() * 60 + from.minute() + u32::from(from.second() > 0);
        while date <= last_date {
            if from_minute < 1440 && self.matches_date(date) {
                if let Some(minute) = self.first_time_from(from_minute) {
                    return date.and_hms_opt(minute / 60, minute % 60, 0);
                }
            }
            date = date.succ_opt()?;
            from_minute = 0;
        }
        None
    }

    /// The last matching local minute at or before `until`, on or after `first_date`.
    pub(crate) fn previous_match(
        &self,
        until: NaiveDateTime,
        first_date: NaiveDate,
    ) -> Option<NaiveDateTime> {
        let mut date = until.date();
        let mut until_minute = until.hour() * 60 + until.minute();
        while date >= first_date {
            if self.matches_date(date) {
                if let Some(minute) = self.last_time_until(until_minute) {
                    return date.and_hms_opt(minute / 60, minute % 60, 0);
                }
            }
            date = date.pred_opt()?;
            until_minute = 1439;
        }
        None
    }
}
