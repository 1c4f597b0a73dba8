//! Weekly allow windows: given days, from a start to an end wall-clock time.
//! The day names the day the window starts on; an end at or before the start
//! falls on the following day.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};

use super::clock::{describe_days, format_clock, MINUTES_PER_DAY};
use super::zone::Zone;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WeeklyAllow {
    /// Indexed by days from Monday.
    pub(crate) days: [bool; 7],
    /// Minutes after midnight, 0..1440.
    pub(crate) start: u32,
    /// Minutes after midnight, 1..=1440 (or equal to/below `start` to cross midnight).
    pub(crate) end: u32,
}

fn at_minute(date: NaiveDate, minutes: u32) -> Option<NaiveDateTime> {
    let midnight = date.and_time(NaiveTime::MIN);
    let days = u64::from(minutes / MINUTES_PER_DAY);
    let rest = minutes % MINUTES_PER_DAY;
    let day = midnight.checked_add_days(Days::new(days))?;
    day.date().and_hms_opt(rest / 60, rest % 60, 0)
}

impl WeeklyAllow {
    pub(crate) fn describe(&self) -> String {
        format!(
            "{} {}-{}",
            describe_days(&self.days),
            format_clock(self.start),
            format_clock(self.end)
        )
    }

    /// The opening that starts on `date`, as instants `[start, end)`.
    fn opening_on(&self, zone: &Zone, date: NaiveDate) -> Option<(i64, i64)> {
        if !self.days[date.weekday().num_days_from_monday() as usize] {
            return None;
        }
        let end_minutes = if self.end <= self.start {
            self.end + MINUTES_PER_DAY
        } else {
            self.end
        };
        let start = zone.resolve(at_minute(date, self.start)?);
        let end = zone.resolve(at_minute(date, end_minutes)?);
        Some((start, end))
    }

    /// If an opening covers `instant`, the end of that opening.
    ///
    /// Openings that start later also end later, so only the latest opening
    /// starting at or before `instant` can cover it.
    pub(crate) fn covering_end(&self, zone: &Zone, instant: i64) -> Option<i64> {
        let today = zone.local(instant)?.date();
        let mut date = today.checked_add_days(Days::new(1))?;
        for _ in 0..4 {
            if let Some((start, end)) = self.opening_on(zone, date) {
                if start <= instant {
                    return (instant < end).then_some(end);
                }
            }
            date = date.pred_opt()?;
        }
        None
    }

    /// The first start of a non-empty opening at or after `instant`, up to `limit`.
    pub(crate) fn next_start(&self, zone: &Zone, instant: i64, limit: i64) -> Option<i64> {
        let mut date = zone.local(instant)?.date().checked_sub_days(Days::new(2))?;
        let last = zone.local(limit)?.date().checked_add_days(Days::new(1))?;
        while date <= last {
            if let Some((start, end)) = self.opening_on(zone, date) {
                if start > limit {
                    return None;
                }
                if start >= instant && start < end {
                    return Some(start);
                }
            }
            date = date.succ_opt()?;
        }
        None
    }
}
