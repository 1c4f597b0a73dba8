//! Deny blocks: dated blackouts that win over every allow.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime};

use super::error::{quoted, WindowError};
use super::spec::DenySpec;
use super::zone::Zone;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Deny {
    pub(crate) index: usize,
    /// First instant of the blackout.
    pub(crate) from: i64,
    /// First instant after the blackout.
    pub(crate) to: i64,
    pub(crate) reason: String,
}

impl Deny {
    pub(crate) fn compile(index: usize, spec: &DenySpec, zone: &Zone) -> Result<Self, WindowError> {
        let field = |name: &str| format!("deny[{index}].{name}");
        let from = parse_time(&spec.from, zone)
            .map_err(|message| WindowError::new(field("from"), message))?;
        let to =
            parse_time(&spec.to, zone).map_err(|message| WindowError::new(field("to"), message))?;
        if to <= from {
            return Err(WindowError::new(
                field("to"),
                format!(
                    "`to` {} must be after `from` {}",
                    quoted(spec.to.trim()),
                    quoted(spec.from.trim())
                ),
            ));
        }
        Ok(Self {
            index,
            from,
            to,
            reason: spec.reason.trim().to_string(),
        })
    }

    pub(crate) fn contains(&self, instant: i64) -> bool {
        self.from <= instant && instant < self.to
    }

    /// How the blackout is named in a status reason.
    pub(crate) fn label(&self) -> String {
        if self.reason.is_empty() {
            format!("deny[{}]", self.index)
        } else {
            format!("'{}'", self.reason)
        }
    }
}

const EXPECTED: &str = "expected an RFC 3339 time with offset such as 2026-12-24T00:00:00+01:00, \
     or a local time YYYY-MM-DDTHH:MM[:SS] or date YYYY-MM-DD in the window's time zone";

fn supported_year(year: i32) -> bool {
    (1..=9999).contains(&year)
}

/// Parses a deny boundary into an instant.
pub(crate) fn parse_time(text: &str, zone: &Zone) -> Result<i64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("missing: {EXPECTED}"));
    }
    let fail = || format!("invalid time {}: {EXPECTED}", quoted(text));
    let out_of_range = || {
        format!(
            "time {} is out of range: expected a year from 1 to 9999",
            quoted(text)
        )
    };
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(trimmed) {
        if !supported_year(with_offset.naive_utc().year()) {
            return Err(out_of_range());
        }
        return Ok(with_offset.timestamp());
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|format| NaiveDateTime::parse_from_str(trimmed, format).ok())
    .or_else(|| {
        NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
            .ok()
            .map(|date| date.and_time(NaiveTime::MIN))
    })
    .ok_or_else(fail)?;
    if !supported_year(local.year()) {
        return Err(out_of_range());
    }
    Ok(zone.resolve(local))
}
