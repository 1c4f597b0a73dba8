//! Durations as users write them in `ttl`: `90s`, `45m`, `2h`, `1h30m`, `7d`.

use chrono::Duration;

/// Parses a positive duration made of `<number><unit>` parts, units `d`, `h`,
/// `m` and `s` (each at most once, largest first). Returns `None` for anything
/// else, including zero and values too large to represent.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let units = [('d', 86_400_i64), ('h', 3_600), ('m', 60), ('s', 1)];
    let mut next_unit = 0usize;
    let mut total: i64 = 0;
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            if digits.len() > 12 {
                return None;
            }
            continue;
        }
        if digits.is_empty() {
            return None;
        }
        let position = units[next_unit..]
            .iter()
            .position(|(unit, _)| *unit == ch)?;
        let (_, seconds) = units[next_unit + position];
        next_unit += position + 1;
        let amount: i64 = digits.parse().ok()?;
        total = total.checked_add(amount.checked_mul(seconds)?)?;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return None;
    }
    // Keep far below chrono's limits so adding the duration to "now" cannot overflow.
    if total > 100 * 365 * 86_400 {
        return None;
    }
    Duration::try_seconds(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_documented_forms() {
        let cases = [
            ("90s", 90),
            ("45m", 45 * 60),
            ("2h", 2 * 3600),
            ("1h30m", 90 * 60),
            ("7d", 7 * 86_400),
            ("1d2h3m4s", 86_400 + 2 * 3600 + 3 * 60 + 4),
        ];
        for (text, seconds) in cases {
            assert_eq!(
                parse_duration(text),
                Duration::try_seconds(seconds),
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_malformed_durations() {
        for text in [
            "",
            "2",
            "h",
            "2x",
            "-2h",
            "0h",
            "30m2h",
            "2h2h",
            "1.5h",
            "2 h",
            "999999999999999d",
        ] {
            assert_eq!(parse_duration(text), None, "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn never_panics(text in ".{0,40}") {
            let _ = parse_duration(&text);
        }

        #[test]
        fn hours_and_minutes_round_trip(hours in 0u32..1000, minutes in 0u32..60) {
            prop_assume!(hours + minutes > 0);
            let text = format!("{hours}h{minutes}m");
            let expected = i64::from(hours) * 3600 + i64::from(minutes) * 60;
            prop_assert_eq!(parse_duration(&text).map(|d| d.num_seconds()), Some(expected));
        }
    }
}
