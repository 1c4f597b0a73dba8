//! The `change_window` block as users write it, shaped like Terraform's nested
//! blocks in plan JSON: unset attributes are `null` and map to `None`.

use serde::{Deserialize, Deserializer, Serialize};

/// Plan JSON writes unset attributes and absent blocks as `null`; read those
/// as the empty value.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// The body of a `change_window` block.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowSpec {
    /// IANA time zone name such as `Europe/Berlin`; empty or missing means `UTC`.
    #[serde(deserialize_with = "null_as_default")]
    pub timezone: String,
    /// Periods when changes are allowed. No allow blocks: open at all times except denies.
    #[serde(deserialize_with = "null_as_default")]
    pub allow: Vec<AllowSpec>,
    /// Dated blackouts. A deny wins over every allow.
    #[serde(deserialize_with = "null_as_default")]
    pub deny: Vec<DenySpec>,
}

/// One `allow` block: either the weekly form (`days`, `start`, `end`) or the
/// cron form (`cron`, `duration`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AllowSpec {
    /// Days the window starts on: `mon` .. `sun` (case-insensitive), full names
    /// and ranges such as `mon-fri` are accepted. Unset means every day.
    pub days: Option<Vec<String>>,
    /// `HH:MM` local time in the window's time zone. Unset with `end` unset: the whole day.
    pub start: Option<String>,
    /// `HH:MM`, or `24:00`. An end at or before the start means the window
    /// crosses midnight and ends on the following day.
    pub end: Option<String>,
    /// Five-field cron expression (minute hour day-of-month month day-of-week),
    /// evaluated in the window's time zone.
    pub cron: Option<String>,
    /// With `cron`: how long each opening lasts, e.g. `1h`, `90m`, `2h30m`.
    pub duration: Option<String>,
}

/// One `deny` block: a blackout from `from` (inclusive) to `to` (exclusive).
///
/// Times are RFC 3339 with an offset, or local `YYYY-MM-DDTHH:MM[:SS]` /
/// `YYYY-MM-DD` in the window's time zone (a date alone means its midnight).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DenySpec {
    #[serde(deserialize_with = "null_as_default")]
    pub from: String,
    #[serde(deserialize_with = "null_as_default")]
    pub to: String,
    #[serde(deserialize_with = "null_as_default")]
    pub reason: String,
}
