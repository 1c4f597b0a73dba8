//! The provider's clock: the system time, unless the provider configuration
//! sets `allow_clock_override = true`; then `now` in the configuration, else the
//! `GUARDRAIL_NOW` environment variable, else the system time.
//!
//! An override exists for labs and tests only. Without `allow_clock_override`
//! a `now` attribute is an error and `GUARDRAIL_NOW` is ignored with a warning.
//! An overridden clock is shown as a warning on every plan and apply, recorded
//! in every audit record it touches, never used for attestation expiry, and a
//! gate that requires attestation refuses to work on it.

use chrono::{DateTime, FixedOffset, Utc};

/// Environment variable that overrides the clock when the provider configuration does not.
pub const NOW_ENV: &str = "GUARDRAIL_NOW";

/// Where the provider's notion of "now" comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockSource {
    /// `now` in the provider configuration.
    ProviderConfig,
    /// The `GUARDRAIL_NOW` environment variable.
    Environment,
    /// The system clock.
    System,
}

/// The clock every check of the provider reads.
#[derive(Debug, Clone)]
pub struct Clock {
    fixed: Option<DateTime<FixedOffset>>,
    source: ClockSource,
}

/// A clock override that is not an RFC 3339 timestamp.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{origin} is {value:?}; expected an RFC 3339 timestamp such as 2026-11-24T10:00:00+01:00")]
pub struct ClockError {
    /// Where the bad value came from (`now` or `GUARDRAIL_NOW`).
    pub origin: &'static str,
    /// The value as given.
    pub value: String,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock {
            fixed: None,
            source: ClockSource::System,
        }
    }

    /// A clock frozen at `at` (used by tests and by the `now` override).
    pub fn fixed(at: DateTime<FixedOffset>, source: ClockSource) -> Self {
        Clock {
            fixed: Some(at),
            source,
        }
    }

    /// Resolves the clock from the provider's `now` attribute and the value of
    /// `GUARDRAIL_NOW` (both optional; the attribute wins).
    pub fn resolve(config_now: Option<&str>, env_now: Option<&str>) -> Result<Self, ClockError> {
        if let Some(value) = config_now {
            return parse_timestamp(value)
                .map(|at| Clock::fixed(at, ClockSource::ProviderConfig))
                .ok_or_else(|| ClockError {
                    origin: "provider attribute `now`",
                    value: value.to_string(),
                });
        }
        match env_now.map(str::trim).filter(|value| !value.is_empty()) {
            Some(value) => parse_timestamp(value)
                .map(|at| Clock::fixed(at, ClockSource::Environment))
                .ok_or_else(|| ClockError {
                    origin: "environment variable GUARDRAIL_NOW",
                    value: value.to_string(),
                }),
            None => Ok(Clock::system()),
        }
    }

    /// Resolves the clock from the `now` attribute and the process environment,
    /// honouring an override only when `allowed`. Returns the clock and, when
    /// `GUARDRAIL_NOW` was set but not allowed, the value that was ignored.
    pub fn from_config_and_env(
        config_now: Option<&str>,
        allowed: bool,
    ) -> Result<(Self, Option<String>), ClockError> {
        let env_now = std::env::var(NOW_ENV)
            .ok()
            .filter(|value| !value.trim().is_empty());
        if allowed {
            return Clock::resolve(config_now, env_now.as_deref()).map(|clock| (clock, None));
        }
        if let Some(value) = config_now {
            return Err(ClockError {
                origin: "provider attribute `now` (set allow_clock_override = true to use it in a lab or test)",
                value: value.to_string(),
            });
        }
        Ok((Clock::system(), env_now))
    }

    /// The override record for the audit trail, `None` on the system clock.
    pub fn override_record(&self) -> Option<guardrail_core::audit_record::ClockOverride> {
        let source = match self.source() {
            ClockSource::System => return None,
            ClockSource::ProviderConfig => "provider attribute now",
            ClockSource::Environment => "GUARDRAIL_NOW",
        };
        Some(guardrail_core::audit_record::ClockOverride {
            source: source.to_string(),
            simulated_now: self.now(),
            system_now: Utc::now(),
        })
    }

    /// The current instant.
    pub fn now(&self) -> DateTime<Utc> {
        match self.fixed {
            Some(at) => at.with_timezone(&Utc),
            None => Utc::now(),
        }
    }

    /// Where "now" comes from.
    pub fn source(&self) -> ClockSource {
        self.source
    }
}

/// Parses an RFC 3339 timestamp (`2026-11-24T10:00:00+01:00`, `...Z`).
pub fn parse_timestamp(value: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(value.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_attribute_wins_over_the_environment() {
        let clock = Clock::resolve(
            Some("2026-11-24T10:00:00+01:00"),
            Some("2030-01-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(clock.source(), ClockSource::ProviderConfig);
        assert_eq!(clock.now().to_rfc3339(), "2026-11-24T09:00:00+00:00");
    }

    #[test]
    fn the_environment_overrides_the_system_clock() {
        let clock = Clock::resolve(None, Some("2030-01-01T00:00:00Z")).unwrap();
        assert_eq!(clock.source(), ClockSource::Environment);
        assert_eq!(clock.now().to_rfc3339(), "2030-01-01T00:00:00+00:00");
    }

    #[test]
    fn without_override_the_system_clock_is_used() {
        let clock = Clock::resolve(None, Some("  ")).unwrap();
        assert_eq!(clock.source(), ClockSource::System);
        let drift = (clock.now() - Utc::now()).num_seconds().abs();
        assert!(drift < 5);
    }

    #[test]
    fn malformed_overrides_name_their_origin() {
        let error = Clock::resolve(Some("tomorrow"), None).unwrap_err();
        assert!(error.to_string().contains("provider attribute `now`"));
        let error = Clock::resolve(None, Some("24/11/2026")).unwrap_err();
        assert!(error.to_string().contains("GUARDRAIL_NOW"));
    }
}
