//! Durations as users write them in `ttl`: the grammar of every guardrail
//! duration (`guardrail_core::duration`: `90s`, `45m`, `1h30m`, `7d`), as the
//! chrono duration the lock's expiry is computed with.

use chrono::Duration;

/// A positive duration of at most 366 days; `None` for anything else.
pub fn parse_duration(text: &str) -> Option<Duration> {
    guardrail_core::duration::parse(text, guardrail_core::duration::MAX)
        .ok()
        .and_then(|duration| Duration::from_std(duration).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_takes_the_shared_grammar() {
        assert_eq!(parse_duration("1h30m"), Duration::try_seconds(5_400));
        assert_eq!(parse_duration("7d"), Duration::try_seconds(604_800));
        for text in ["", "90", "0h", "367d", "soon"] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
    }
}
