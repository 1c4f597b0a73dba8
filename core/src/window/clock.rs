//! Small value parsers shared by the allow forms: wall-clock times, weekdays
//! and durations.

use chrono::Weekday;

use super::error::quoted;

/// Minutes in a day; also the value of `24:00`.
pub(crate) const MINUTES_PER_DAY: u32 = 1440;

/// Parses `HH:MM` (hour may be one digit) into minutes after midnight.
/// `24:00` is accepted only when `allow_midnight_end` is set.
pub(crate) fn parse_clock(text: &str, allow_midnight_end: bool) -> Result<u32, String> {
    let expected = if allow_midnight_end {
        "expected HH:MM between 00:00 and 24:00"
    } else {
        "expected HH:MM between 00:00 and 23:59"
    };
    let fail = || format!("invalid time {}: {expected}", quoted(text));
    let (hours, minutes) = text.trim().split_once(':').ok_or_else(fail)?;
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(hours) || hours.len() > 2 || !all_digits(minutes) || minutes.len() != 2 {
        return Err(fail());
    }
    let hours: u32 = hours.parse().map_err(|_| fail())?;
    let minutes: u32 = minutes.parse().map_err(|_| fail())?;
    match (hours, minutes) {
        (24, 0) if allow_midnight_end => Ok(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Ok(hours * 60 + minutes),
        _ => Err(fail()),
    }
}

pub(crate) fn format_clock(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

const DAY_NAMES: [(&str, &str, Weekday); 7] = [
    ("mon", "monday", Weekday::Mon),
    ("tue", "tuesday", Weekday::Tue),
    ("wed", "wednesday", Weekday::Wed),
    ("thu", "thursday", Weekday::Thu),
    ("fri", "friday", Weekday::Fri),
    ("sat", "saturday", Weekday::Sat),
    ("sun", "sunday", Weekday::Sun),
];

fn parse_day(text: &str) -> Option<Weekday> {
    let lower = text.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .find(|(short, long, _)| lower == *short || lower == *long)
        .map(|(_, _, day)| *day)
}

/// Parses one `days` entry: a day (`mon`, `Monday`) or a range (`mon-fri`,
/// `fri-mon` wraps through the weekend). Returns the days it covers.
pub(crate) fn parse_days_entry(text: &str) -> Result<Vec<Weekday>, String> {
    let unknown = |part: &str| {
        format!(
            "unknown day {}: expected mon, tue, wed, thu, fri, sat or sun",
            quoted(part)
        )
    };
    match text.split_once('-') {
        None => parse_day(text)
            .map(|day| vec![day])
            .ok_or_else(|| unknown(text)),
        Some((first, last)) => {
            let first_day = parse_day(first).ok_or_else(|| unknown(first))?;
            let last_day = parse_day(last).ok_or_else(|| unknown(last))?;
            let mut days = vec![first_day];
            let mut day = first_day;
            while day != last_day {
                day = day.succ();
                days.push(day);
            }
            Ok(days)
        }
    }
}

/// Describes a day set compactly: `mon-fri`, `sat,sun`, `daily`.
pub(crate) fn describe_days(days: &[bool; 7]) -> String {
    if days.iter().all(|on| *on) {
        return "daily".to_string();
    }
    let mut parts = Vec::new();
    let mut index = 0;
    while index < 7 {
        if !days[index] {
            index += 1;
            continue;
        }
        let run_start = index;
        while index + 1 < 7 && days[index + 1] {
            index += 1;
        }
        let name = |i: usize| DAY_NAMES[i].0;
        match index - run_start {
            0 => parts.push(name(run_start).to_string()),
            1 => parts.push(format!("{},{}", name(run_start), name(index))),
            _ => parts.push(format!("{}-{}", name(run_start), name(index))),
        }
        index += 1;
    }
    parts.join(",")
}

/// Longest accepted cron duration.
pub(crate) const MAX_DURATION_SECONDS: i64 = 366 * 86_400;

/// Parses a cron `duration` into seconds, with the grammar of every guardrail
/// duration ([`crate::duration`]), at most 366 days.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    crate::duration::parse(
        text,
        std::time::Duration::from_secs(MAX_DURATION_SECONDS as u64),
    )
    .map(|duration| duration.as_secs() as i64)
    .map_err(|error| error.to_string())
}

pub(crate) fn describe_duration(seconds: i64) -> String {
    let (hours, rest) = (seconds / 3600, seconds % 3600);
    let (minutes, seconds) = (rest / 60, rest % 60);
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    if seconds > 0 {
        text.push_str(&format!("{seconds}s"));
    }
    text
}
