//! Compiling `allow` blocks into weekly or cron windows.

use chrono::Weekday;

use super::clock::{parse_clock, parse_days_entry, parse_duration, MINUTES_PER_DAY};
use super::cron::CronAllow;
use super::cron_schedule::CronSchedule;
use super::error::WindowError;
use super::spec::AllowSpec;
use super::weekly::WeeklyAllow;
use super::zone::Zone;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AllowKind {
    Weekly(WeeklyAllow),
    Cron(CronAllow),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Allow {
    pub(crate) index: usize,
    pub(crate) kind: AllowKind,
}

impl Allow {
    pub(crate) fn compile(index: usize, spec: &AllowSpec) -> Result<Self, WindowError> {
        let field = |name: &str| format!("allow[{index}].{name}");
        let kind = match &spec.cron {
            Some(cron) => {
                for (name, set) in [
                    ("days", spec.days.is_some()),
                    ("start", spec.start.is_some()),
                    ("end", spec.end.is_some()),
                ] {
                    if set {
                        return Err(WindowError::new(
                            field(name),
                            "not allowed together with cron: use either days/start/end or cron/duration",
                        ));
                    }
                }
                let schedule = CronSchedule::parse(cron)
                    .map_err(|message| WindowError::new(field("cron"), message))?;
                let duration = spec.duration.as_deref().ok_or_else(|| {
                    WindowError::new(
                        field("duration"),
                        "missing: a cron allow needs a duration such as 1h, 90m or 2h30m",
                    )
                })?;
                let duration_seconds = parse_duration(duration)
                    .map_err(|message| WindowError::new(field("duration"), message))?;
                AllowKind::Cron(CronAllow {
                    expression: cron.clone(),
                    daily_shape: schedule.daily_shape(),
                    schedule,
                    duration_seconds,
                })
            }
            None => AllowKind::Weekly(compile_weekly(index, spec)?),
        };
        Ok(Self { index, kind })
    }

    pub(crate) fn describe(&self) -> String {
        match &self.kind {
            AllowKind::Weekly(weekly) => weekly.describe(),
            AllowKind::Cron(cron) => cron.describe(),
        }
    }

    /// If an opening covers `instant`: an instant up to which this allow
    /// stays open without a break (at least that opening's end; a cron allow
    /// follows its overlapping openings while they end at or before `reach`).
    pub(crate) fn covering_end(&self, zone: &Zone, instant: i64, reach: i64) -> Option<i64> {
        match &self.kind {
            AllowKind::Weekly(weekly) => weekly.covering_end(zone, instant),
            AllowKind::Cron(cron) => cron.covering_end(zone, instant, reach),
        }
    }

    pub(crate) fn next_start(&self, zone: &Zone, instant: i64, limit: i64) -> Option<i64> {
        match &self.kind {
            AllowKind::Weekly(weekly) => weekly.next_start(zone, instant, limit),
            AllowKind::Cron(cron) => cron.next_start(zone, instant, limit),
        }
    }
}

fn compile_weekly(index: usize, spec: &AllowSpec) -> Result<WeeklyAllow, WindowError> {
    let field = |name: &str| format!("allow[{index}].{name}");
    if spec.duration.is_some() {
        return Err(WindowError::new(
            field("duration"),
            "only allowed together with cron",
        ));
    }
    if spec.days.is_none() && spec.start.is_none() && spec.end.is_none() {
        return Err(WindowError::new(
            format!("allow[{index}]"),
            "empty allow block: expected days/start/end or cron with duration",
        ));
    }
    let mut days = [false; 7];
    match &spec.days {
        None => days = [true; 7],
        Some(entries) if entries.is_empty() => {
            return Err(WindowError::new(
                field("days"),
                "empty list: expected at least one of mon, tue, wed, thu, fri, sat or sun",
            ))
        }
        Some(entries) => {
            for (position, entry) in entries.iter().enumerate() {
                let covered = parse_days_entry(entry).map_err(|message| {
                    WindowError::new(format!("allow[{index}].days[{position}]"), message)
                })?;
                for day in covered {
                    days[Weekday::num_days_from_monday(&day) as usize] = true;
                }
            }
        }
    }
    let (start, end) = match (&spec.start, &spec.end) {
        (None, None) => (0, MINUTES_PER_DAY),
        (Some(_), None) => {
            return Err(WindowError::new(
                field("end"),
                "missing: expected HH:MM between 00:00 and 24:00 when start is set",
            ))
        }
        (None, Some(_)) => {
            return Err(WindowError::new(
                field("start"),
                "missing: expected HH:MM between 00:00 and 23:59 when end is set",
            ))
        }
        (Some(start), Some(end)) => (
            parse_clock(start, false)
                .map_err(|message| WindowError::new(field("start"), message))?,
            parse_clock(end, true).map_err(|message| WindowError::new(field("end"), message))?,
        ),
    };
    Ok(WeeklyAllow { days, start, end })
}
