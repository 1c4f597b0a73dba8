//! Cron allow windows: a five-field cron expression (minute hour day-of-month
//! month day-of-week), matched against local wall-clock minutes in the window's
//! time zone; each match opens the window for a fixed duration.
//!
//! Supported syntax per field: `*`, `?`, numbers, names (`jan`, `mon`), ranges
//! `a-b`, steps `*/n`, `a-b/n` and `a/n` (from `a` to the field's maximum),
//! and comma lists. Day-of-week takes 0-7 with 0 and 7 both Sunday. When both
//! day-of-month and day-of-week are restricted, a day matching either counts.
//! The descriptors `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`,
//! `@midnight` and `@hourly` are accepted. Parsing and matching are the
//! `croner` crate's, held to this grammar by `cron_schedule`.
//!
//! A match is a local wall-clock minute, resolved like every local time: in a
//! spring-forward gap it opens at the first instant after the gap, and in an
//! autumn fold it counts once, at its first occurrence. A schedule covering
//! the day back to back therefore leaves the repeated hour closed. The
//! duration is elapsed time from the opening.

use chrono::{Duration, NaiveDateTime, Timelike};

use super::clock::describe_duration;
use super::cron_schedule::{CronSchedule, DailyShape};
use super::zone::Zone;

/// Slack for the largest jump of a time zone's offset (a fold or a gap).
const OFFSET_SLACK: i64 = 3 * 3600;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CronAllow {
    pub(crate) expression: String,
    pub(crate) schedule: CronSchedule,
    pub(crate) duration_seconds: i64,
    /// The schedule's [`CronSchedule::daily_shape`], computed once.
    pub(crate) daily_shape: Option<DailyShape>,
}

impl CronAllow {
    pub(crate) fn describe(&self) -> String {
        format!(
            "cron `{}` for {}",
            self.expression.trim(),
            describe_duration(self.duration_seconds)
        )
    }

    /// The latest opening starting at or before `instant`: its match and end.
    /// Openings all last the same time, so it is the only one that can cover
    /// `instant`.
    fn latest_opening(&self, zone: &Zone, instant: i64) -> Option<(NaiveDateTime, i64)> {
        // The latest wall-clock time reached at or before `instant` (a fold
        // may have turned the clock back since).
        let now = zone.local(instant)?;
        let earlier = zone.local(instant - OFFSET_SLACK)? + Duration::seconds(OFFSET_SLACK);
        let mut candidate = now.max(earlier);
        let first_date = zone
            .local(instant - self.duration_seconds - OFFSET_SLACK)?
            .date();
        while let Some(found) = self.schedule.previous_match(candidate, first_date) {
            let start = zone.resolve(found);
            if start <= instant {
                return Some((found, start + self.duration_seconds));
            }
            candidate = found - Duration::minutes(1);
        }
        None
    }

    /// If an opening covers `instant`: the end of this allow's uninterrupted
    /// coverage from there, followed through overlapping openings while it
    /// ends at or before `reach`.
    pub(crate) fn covering_end(&self, zone: &Zone, instant: i64, reach: i64) -> Option<i64> {
        let (mut cursor, mut end) = self
            .latest_opening(zone, instant)
            .filter(|(_, end)| *end > instant)?;
        let Some(last_date) = zone.local(reach).and_then(|local| local.date().succ_opt()) else {
            return Some(end);
        };
        while end <= reach {
            let Some(next) = self
                .schedule
                .next_match(cursor + Duration::minutes(1), last_date)
            else {
                break;
            };
            let start = zone.resolve(next);
            if start > end {
                break;
            }
            end = end.max(start + self.duration_seconds);
            cursor = next;
            if let Some((day_end, last_match)) = self.whole_day_coverage(zone, next) {
                end = end.max(day_end);
                cursor = last_match;
            }
        }
        Some(end)
    }

    /// When `first_match` is a day's first match and that day's openings
    /// cover it without a break (no offset change, no wait between matches
    /// longer than the duration): the coverage end and the day's last match.
    fn whole_day_coverage(
        &self,
        zone: &Zone,
        first_match: NaiveDateTime,
    ) -> Option<(i64, NaiveDateTime)> {
        let DailyShape {
            first_minute,
            last_minute,
            longest_wait,
        } = self.daily_shape?;
        if i64::from(longest_wait) * 60 > self.duration_seconds {
            return None;
        }
        let day_first = first_match.hour() * 60 + first_match.minute();
        if first_minute != day_first || last_minute <= day_first {
            return None;
        }
        let last_match = first_match
            .date()
            .and_hms_opt(last_minute / 60, last_minute % 60, 0)?;
        let first_instant = zone.resolve(first_match);
        let last_instant = zone.resolve(last_match);
        // Without an offset change in between, instants differ as wall-clock times do.
        let unchanged = last_instant - first_instant == (last_match - first_match).num_seconds();
        unchanged.then_some((last_instant + self.duration_seconds, last_match))
    }

    /// The first opening start at or after `instant`, up to `limit`.
    pub(crate) fn next_start(&self, zone: &Zone, instant: i64, limit: i64) -> Option<i64> {
        let mut candidate = zone.local(instant - OFFSET_SLACK)?;
        let last_date = zone.local(limit)?.date();
        while let Some(found) = self.schedule.next_match(candidate, last_date) {
            let start = zone.resolve(found);
            if start > limit {
                return None;
            }
            if start >= instant {
                return Some(start);
            }
            candidate = found + Duration::minutes(1);
        }
        None
    }
}
