//! Durations, as every flag and attribute takes them: `90s`, `15m`, `1h30m`,
//! `2d` (and humantime's other spellings, such as `1h 30m` or `1week`).
//!
//! One grammar for the provider's `ttl`, the change window's cron `duration`,
//! `tfaudit plan --attestation-ttl` and `tfaudit state --stale-lock-after`; the
//! parsing itself is the `humantime` crate's. A bare number is refused (its unit
//! would be a guess), and so are zero and anything over a caller's maximum.

use std::time::Duration;

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error(
        "`{text}` is not a duration ({reason}): expected a duration such as 90s, 15m, 1h30m or 2d"
    )]
    Invalid { text: String, reason: String },
    #[error("`{text}` is zero: expected a positive duration such as 90s, 15m, 1h30m or 2d")]
    Zero { text: String },
    #[error("`{text}` is too long: expected at most {maximum}")]
    TooLong { text: String, maximum: String },
}

/// Parses a positive duration of at most `maximum`.
pub fn parse(text: &str, maximum: Duration) -> Result<Duration, DurationError> {
    let trimmed = text.trim();
    let duration = humantime::parse_duration(trimmed).map_err(|error| DurationError::Invalid {
        text: text.to_string(),
        reason: match error {
            humantime::DurationError::Empty => "it is empty".into(),
            humantime::DurationError::UnknownUnit { unit, .. } if unit.is_empty() => {
                "a number without a unit".into()
            }
            humantime::DurationError::UnknownUnit { unit, .. } => format!("unknown unit `{unit}`"),
            other => other.to_string(),
        },
    })?;
    if duration.is_zero() {
        return Err(DurationError::Zero {
            text: text.to_string(),
        });
    }
    if duration > maximum {
        return Err(DurationError::TooLong {
            text: text.to_string(),
            maximum: match maximum.as_secs() {
                seconds if seconds % 86_400 == 0 => format!("{}d", seconds / 86_400),
                _ => humantime::format_duration(maximum).to_string(),
            },
        });
    }
    Ok(duration)
}

/// The longest duration any guardrail setting takes: 366 days.
pub const MAX: Duration = Duration::from_secs(366 * 86_400);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_grammar_for_every_setting() {
        for (text, seconds) in [
            ("90s", 90),
            ("15m", 900),
            ("1h30m", 5_400),
            ("1h 30m", 5_400),
            ("2d", 172_800),
            ("7d", 604_800),
            (" 24h ", 86_400),
        ] {
            assert_eq!(parse(text, MAX), Ok(Duration::from_secs(seconds)), "{text}");
        }
    }

    #[test]
    fn bad_durations_say_what_was_expected() {
        for (text, says) in [
            ("90", "without a unit"),
            ("", "empty"),
            ("1x", "not a duration"),
            ("0h", "zero"),
            ("367d", "expected at most 366d"),
            ("99999999999999999999d", "not a duration"),
        ] {
            let message = parse(text, MAX).unwrap_err().to_string();
            assert!(message.contains(says), "{text:?}: {message}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,40}") {
            let _ = parse(&text, MAX);
        }

        #[test]
        fn hours_and_minutes_add_up(hours in 0u64..1000, minutes in 1u64..60) {
            let text = format!("{hours}h{minutes}m");
            proptest::prop_assert_eq!(parse(&text, MAX).map(|d| d.as_secs()), Ok(hours * 3600 + minutes * 60));
        }
    }
}
