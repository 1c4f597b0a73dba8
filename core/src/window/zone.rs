//! The window's time zone: turning local wall-clock times into instants and back.
//!
//! Instants are whole seconds since the Unix epoch (`i64`). A local time that
//! does not exist (spring-forward gap) resolves to the first instant after the
//! gap; an ambiguous one (autumn fold) resolves to its first occurrence.

use chrono::{DateTime, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::error::quoted;

/// Earliest instant evaluated: 0001-01-01T00:00:00Z.
pub(crate) const MIN_SUPPORTED: i64 = -62_135_596_800;
/// Latest instant evaluated: 9999-12-31T23:59:59Z.
pub(crate) const MAX_SUPPORTED: i64 = 253_402_300_799;

const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Zone {
    tz: Tz,
}

impl Zone {
    /// Parses an IANA name; empty (or only spaces) means UTC.
    pub(crate) fn parse(name: &str) -> Result<Self, String> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Ok(Self { tz: Tz::UTC });
        }
        trimmed.parse::<Tz>().map(|tz| Self { tz }).map_err(|_| {
            format!(
                "unknown time zone {}: expected an IANA name such as Europe/Berlin",
                quoted(name)
            )
        })
    }

    pub(crate) fn name(&self) -> &'static str {
        self.tz.name()
    }

    /// Local wall-clock time at an instant (None only far outside the supported range).
    pub(crate) fn local(&self, instant: i64) -> Option<NaiveDateTime> {
        DateTime::from_timestamp(instant, 0).map(|utc| utc.with_timezone(&self.tz).naive_local())
    }

    /// The instant shown with this zone's offset at that instant.
    pub(crate) fn fixed(&self, instant: i64) -> Option<DateTime<FixedOffset>> {
        DateTime::from_timestamp(instant, 0).map(|utc| utc.with_timezone(&self.tz).fixed_offset())
    }

    fn offset_seconds(&self, instant: i64) -> i64 {
        DateTime::from_timestamp(instant, 0)
            .map(|utc| {
                i64::from(
                    self.tz
                        .offset_from_utc_datetime(&utc.naive_utc())
                        .fix()
                        .local_minus_utc(),
                )
            })
            .unwrap_or(0)
    }

    /// The instant a local wall-clock time refers to (gap: first instant after
    /// it; fold: first occurrence).
    pub(crate) fn resolve(&self, local: NaiveDateTime) -> i64 {
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(at) => at.timestamp(),
            LocalResult::Ambiguous(first, second) => first.timestamp().min(second.timestamp()),
            LocalResult::None => self.end_of_gap(local),
        }
    }

    /// First instant whose local time is at or after `local`, which lies in a gap.
    fn end_of_gap(&self, local: NaiveDateTime) -> i64 {
        let as_if_utc = local.and_utc().timestamp();
        let offset_before = self.offset_seconds(as_if_utc - DAY);
        let offset_after = self.offset_seconds(as_if_utc + DAY);
        // Before the transition the old offset applies, after it the new one.
        let mut low = as_if_utc - offset_after;
        let mut high = as_if_utc - offset_before;
        let reached = |instant: i64| self.local(instant).is_some_and(|seen| seen >= local);
        if low > high {
            std::mem::swap(&mut low, &mut high);
        }
        if reached(low) {
            return low;
        }
        if !reached(high) {
            return high;
        }
        // Invariant: !reached(low) && reached(high).
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if reached(middle) {
                high = middle;
            } else {
                low = middle;
            }
        }
        high
    }
}
