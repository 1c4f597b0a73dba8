//! The change window shape shared by `guardrail_change_window` (as its body) and
//! `guardrail_change_gate` (as its `change_window` block): `timezone`, `allow`
//! blocks and `deny` blocks, converted to the core [`WindowSpec`].

use guardrail_core::window::{AllowSpec, ChangeWindow, DenySpec, WindowSpec};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{Attribute, AttributeType, NestedBlock};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::field_path;
use crate::schema_util::{block, optional, required, string_list, Str};

/// The window attributes and blocks as Terraform sends them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowFields {
    #[serde(default)]
    pub timezone: Str,
    #[serde(default)]
    pub allow: Value<Vec<AllowBlock>>,
    #[serde(default)]
    pub deny: Value<Vec<DenyBlock>>,
}

/// One `allow` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllowBlock {
    #[serde(default)]
    pub days: Value<Vec<Str>>,
    #[serde(default)]
    pub start: Str,
    #[serde(default)]
    pub end: Str,
    #[serde(default)]
    pub cron: Str,
    #[serde(default)]
    pub duration: Str,
}

/// One `deny` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DenyBlock {
    #[serde(default)]
    pub from: Str,
    #[serde(default)]
    pub to: Str,
    #[serde(default)]
    pub reason: Str,
}

/// The `timezone` attribute.
pub fn timezone_attribute() -> (&'static str, Attribute) {
    (
        "timezone",
        optional(
            AttributeType::String,
            "IANA time zone of the window, such as `Europe/Berlin`. Defaults to `UTC`. \
             Local times follow the zone's daylight-saving rules.",
        ),
    )
}

/// The `allow` and `deny` nested blocks.
pub fn window_nested_blocks() -> Vec<(&'static str, NestedBlock)> {
    vec![
        (
            "allow",
            NestedBlock::List(block(
                "A period when changes are allowed: the weekly form (`days`, `start`, `end`) \
                 or the cron form (`cron`, `duration`). Without any `allow` block the window \
                 is open at all times outside blackouts.",
                vec![
                    (
                        "days",
                        optional(
                            string_list(),
                            "Days the period starts on: `mon` .. `sun`, full names or ranges \
                             such as `mon-fri`. Unset: every day.",
                        ),
                    ),
                    (
                        "start",
                        optional(AttributeType::String, "Local start time `HH:MM`."),
                    ),
                    (
                        "end",
                        optional(
                            AttributeType::String,
                            "Local end time `HH:MM` (or `24:00`). An end at or before the \
                             start crosses midnight.",
                        ),
                    ),
                    (
                        "cron",
                        optional(
                            AttributeType::String,
                            "Five-field cron expression for when the period opens.",
                        ),
                    ),
                    (
                        "duration",
                        optional(
                            AttributeType::String,
                            "With `cron`: how long each opening lasts, such as `2h` or `90m`.",
                        ),
                    ),
                ],
                vec![],
            )),
        ),
        (
            "deny",
            NestedBlock::List(block(
                "A dated blackout from `from` (inclusive) to `to` (exclusive); it wins over \
                 every `allow`. Times are RFC 3339, or local `YYYY-MM-DDTHH:MM[:SS]` / \
                 `YYYY-MM-DD` in the window's time zone.",
                vec![
                    (
                        "from",
                        required(AttributeType::String, "Start of the blackout."),
                    ),
                    (
                        "to",
                        required(AttributeType::String, "End of the blackout."),
                    ),
                    (
                        "reason",
                        optional(AttributeType::String, "Why changes are denied, for people."),
                    ),
                ],
                vec![],
            )),
        ),
    ]
}

/// Why a window cannot be evaluated yet.
#[derive(Debug, PartialEq)]
pub enum WindowConversion {
    /// Every value is known: the core specification.
    Ready(WindowSpec),
    /// Some value is unknown until apply (computed from another resource).
    Unknown,
}

impl WindowFields {
    /// Converts to the core specification, or reports that values are still unknown.
    pub fn to_spec(&self) -> WindowConversion {
        let text = |value: &Str| -> Result<Option<String>, ()> {
            match value {
                Value::Value(text) => Ok(Some(text.clone())),
                Value::Null => Ok(None),
                Value::Unknown => Err(()),
            }
        };
        let convert = || -> Result<WindowSpec, ()> {
            let timezone = text(&self.timezone)?.unwrap_or_default();
            let allow = match &self.allow {
                Value::Unknown => return Err(()),
                Value::Null => Vec::new(),
                Value::Value(blocks) => blocks
                    .iter()
                    .map(|allow| {
                        let days = match &allow.days {
                            Value::Unknown => return Err(()),
                            Value::Null => None,
                            Value::Value(days) => Some(
                                days.iter()
                                    .map(|day| text(day).map(Option::unwrap_or_default))
                                    .collect::<Result<Vec<_>, ()>>()?,
                            ),
                        };
                        Ok(AllowSpec {
                            days,
                            start: text(&allow.start)?,
                            end: text(&allow.end)?,
                            cron: text(&allow.cron)?,
                            duration: text(&allow.duration)?,
                        })
                    })
                    .collect::<Result<Vec<_>, ()>>()?,
            };
            let deny = match &self.deny {
                Value::Unknown => return Err(()),
                Value::Null => Vec::new(),
                Value::Value(blocks) => blocks
                    .iter()
                    .map(|deny| {
                        Ok(DenySpec {
                            from: text(&deny.from)?.unwrap_or_default(),
                            to: text(&deny.to)?.unwrap_or_default(),
                            reason: text(&deny.reason)?.unwrap_or_default(),
                        })
                    })
                    .collect::<Result<Vec<_>, ()>>()?,
            };
            Ok(WindowSpec {
                timezone,
                allow,
                deny,
            })
        };
        match convert() {
            Ok(spec) => WindowConversion::Ready(spec),
            Err(()) => WindowConversion::Unknown,
        }
    }

    /// Compiles the window, reporting an invalid field as an error diagnostic at
    /// `base` + the field's path. `None` when unknown values remain or on error.
    pub fn compile(&self, diags: &mut Diagnostics, base: AttributePath) -> Option<ChangeWindow> {
        match self.to_spec() {
            WindowConversion::Unknown => None,
            WindowConversion::Ready(spec) => match spec.compile() {
                Ok(window) => Some(window),
                Err(error) => {
                    diags.error(
                        "Invalid change window",
                        format!("{}: {}", error.field, error.message),
                        field_path::extend(base, &error.field),
                    );
                    None
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(days: &[&str], start: &str, end: &str) -> AllowBlock {
        AllowBlock {
            days: Value::Value(days.iter().map(|d| Value::Value(d.to_string())).collect()),
            start: Value::Value(start.into()),
            end: Value::Value(end.into()),
            ..AllowBlock::default()
        }
    }

    #[test]
    fn known_fields_convert_to_the_core_spec() {
        let fields = WindowFields {
            timezone: Value::Value("Europe/Berlin".into()),
            allow: Value::Value(vec![weekly(&["mon", "tue"], "09:00", "17:00")]),
            deny: Value::Value(vec![DenyBlock {
                from: Value::Value("2026-12-21".into()),
                to: Value::Value("2027-01-04".into()),
                reason: Value::Null,
            }]),
        };
        let WindowConversion::Ready(spec) = fields.to_spec() else {
            panic!("expected a ready spec");
        };
        assert_eq!(spec.timezone, "Europe/Berlin");
        assert_eq!(
            spec.allow[0].days,
            Some(vec!["mon".to_string(), "tue".to_string()])
        );
        assert_eq!(spec.allow[0].cron, None);
        assert_eq!(spec.deny[0].reason, "");
    }

    #[test]
    fn unknown_values_defer_evaluation() {
        let fields = WindowFields {
            timezone: Value::Unknown,
            ..WindowFields::default()
        };
        assert_eq!(fields.to_spec(), WindowConversion::Unknown);
        let mut allow = weekly(&["mon"], "09:00", "17:00");
        allow.end = Value::Unknown;
        let fields = WindowFields {
            allow: Value::Value(vec![allow]),
            ..WindowFields::default()
        };
        assert_eq!(fields.to_spec(), WindowConversion::Unknown);
    }

    #[test]
    fn invalid_fields_point_at_the_attribute() {
        let fields = WindowFields {
            timezone: Value::Value("Europe/Berlin".into()),
            allow: Value::Value(vec![
                weekly(&["mon"], "09:00", "17:00"),
                weekly(&["funday"], "09:00", "17:00"),
            ]),
            deny: Value::Null,
        };
        let mut diags = Diagnostics::default();
        let compiled = fields.compile(&mut diags, AttributePath::new("change_window").index(0));
        assert!(compiled.is_none());
        assert_eq!(diags.errors.len(), 1);
        let error = &diags.errors[0];
        assert!(error
            .attribute
            .to_string()
            .starts_with("change_window[0].allow[1].days"));
        assert!(error.detail.contains("funday"), "{}", error.detail);
    }
}
