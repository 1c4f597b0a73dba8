//! Evaluating a compiled window at an instant.
//!
//! The open instants are the union of the allow openings (everything when
//! there is no allow) minus the union of the blackouts. Next openings and
//! closings are found by walking the boundaries of those intervals, never by
//! sampling.

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;

use super::allow::Allow;
use super::deny::Deny;
use super::zone::{Zone, MAX_SUPPORTED, MIN_SUPPORTED};

/// How far ahead `opens_at` and `closes_at` are searched.
pub const SEARCH_HORIZON_DAYS: i64 = 400;
const HORIZON_SECONDS: i64 = SEARCH_HORIZON_DAYS * 86_400;

/// A validated change window, ready to evaluate. Build it with
/// [`WindowSpec::compile`](super::WindowSpec::compile).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeWindow {
    pub(crate) zone: Zone,
    pub(crate) allows: Vec<Allow>,
    pub(crate) denies: Vec<Deny>,
}

/// Whether changes are allowed at an instant, why, and until when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowStatus {
    pub open: bool,
    /// For people: which allow matched, or which blackout or rule closed it.
    pub reason: String,
    /// When closed: the next opening, in the window's offset at that instant;
    /// `None` if it does not open within [`SEARCH_HORIZON_DAYS`].
    pub opens_at: Option<DateTime<FixedOffset>>,
    /// When open: the end of the current open period (blackouts included);
    /// `None` if it does not close within [`SEARCH_HORIZON_DAYS`].
    pub closes_at: Option<DateTime<FixedOffset>>,
}

impl ChangeWindow {
    /// The window's IANA time zone name (`UTC` when none was given).
    pub fn timezone(&self) -> &'static str {
        self.zone.name()
    }

    /// Evaluates the window at `at` (sub-second precision is ignored).
    pub fn status_at(&self, at: DateTime<Utc>) -> WindowStatus {
        let instant = at.timestamp();
        if !(MIN_SUPPORTED..=MAX_SUPPORTED - HORIZON_SECONDS).contains(&instant) {
            return WindowStatus {
                open: false,
                reason: "closed: instant outside the supported years 1 to 9998".to_string(),
                opens_at: None,
                closes_at: None,
            };
        }
        let limit = instant + HORIZON_SECONDS;
        if let Some(blackout_end) = self.blackout_end(instant) {
            let blackout = self
                .denies
                .iter()
                .find(|deny| deny.contains(instant))
                .map(Deny::label)
                .unwrap_or_default();
            return WindowStatus {
                open: false,
                reason: format!(
                    "closed: blackout {blackout} until {}",
                    self.show(blackout_end)
                ),
                opens_at: self.in_zone(self.next_open(instant, limit)),
                closes_at: None,
            };
        }
        if self.allows.is_empty() {
            return WindowStatus {
                open: true,
                reason: "open: no allow window restricts changes and no blackout is in effect"
                    .to_string(),
                opens_at: None,
                closes_at: self.in_zone(self.next_close(instant, limit)),
            };
        }
        match self
            .allows
            .iter()
            .find(|allow| allow.covering_end(&self.zone, instant, instant).is_some())
        {
            Some(allow) => WindowStatus {
                open: true,
                reason: format!(
                    "inside allow[{}] {} {}",
                    allow.index,
                    allow.describe(),
                    self.zone.name()
                ),
                opens_at: None,
                closes_at: self.in_zone(self.next_close(instant, limit)),
            },
            None => WindowStatus {
                open: false,
                reason: "closed: outside every allow window".to_string(),
                opens_at: self.in_zone(self.next_open(instant, limit)),
                closes_at: None,
            },
        }
    }

    /// An instant with the window's offset at that instant.
    fn in_zone(&self, instant: Option<i64>) -> Option<DateTime<FixedOffset>> {
        instant.and_then(|instant| self.zone.fixed(instant))
    }

    fn show(&self, instant: i64) -> String {
        self.zone
            .fixed(instant)
            .map(|at| at.to_rfc3339())
            .unwrap_or_else(|| instant.to_string())
    }

    /// If `instant` is inside a blackout: the end of the run of blackouts
    /// (overlapping or back-to-back) that holds it.
    fn blackout_end(&self, instant: i64) -> Option<i64> {
        let mut end = self
            .denies
            .iter()
            .filter(|deny| deny.contains(instant))
            .map(|deny| deny.to)
            .max()?;
        while let Some(later) = self
            .denies
            .iter()
            .filter(|deny| deny.contains(end))
            .map(|deny| deny.to)
            .max()
        {
            end = later;
        }
        Some(end)
    }

    /// If an allow covers `instant`: the furthest instant up to which one
    /// of them stays open without a break (followed up to `reach`).
    fn allow_covering_end(&self, instant: i64, reach: i64) -> Option<i64> {
        self.allows
            .iter()
            .filter_map(|allow| allow.covering_end(&self.zone, instant, reach))
            .max()
    }

    /// For an open instant: when the open period ends, if before `limit`.
    fn next_close(&self, instant: i64, limit: i64) -> Option<i64> {
        let next_blackout = self
            .denies
            .iter()
            .map(|deny| deny.from)
            .filter(|from| *from > instant)
            .min();
        let allow_end = if self.allows.is_empty() {
            None
        } else {
            let reach = next_blackout.unwrap_or(limit).min(limit);
            let mut end = self.allow_covering_end(instant, reach)?;
            loop {
                if end > limit || next_blackout.is_some_and(|from| from <= end) {
                    break None;
                }
                match self.allow_covering_end(end, reach) {
                    Some(later) => end = later,
                    None => break Some(end),
                }
            }
        };
        match (allow_end, next_blackout) {
            (Some(allow_end), Some(blackout)) => Some(allow_end.min(blackout)),
            (allow_end, blackout) => allow_end.or(blackout),
        }
    }

    /// For a closed instant: the first open instant at or after it, if before `limit`.
    fn next_open(&self, instant: i64, limit: i64) -> Option<i64> {
        let mut candidate = instant;
        loop {
            if candidate > limit {
                return None;
            }
            if !self.allows.is_empty() && self.allow_covering_end(candidate, candidate).is_none() {
                candidate = self
                    .allows
                    .iter()
                    .filter_map(|allow| allow.next_start(&self.zone, candidate, limit))
                    .min()?;
            }
            match self.blackout_end(candidate) {
                Some(end) => candidate = end,
                None => return Some(candidate),
            }
        }
    }
}
