//! `guardrail_change_window`: whether a change window is open now (or at `at`),
//! why, and when it next opens or closes.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::clock::parse_timestamp;
use crate::configured::Shared;
use crate::schema_util::{block, computed, known, optional, schema, Str};
use crate::window_block::{
    timezone_attribute, window_nested_blocks, AllowBlock, DenyBlock, WindowFields,
};

/// The data source's attributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ChangeWindowState {
    #[serde(default)]
    pub timezone: Str,
    #[serde(default)]
    pub allow: Value<Vec<AllowBlock>>,
    #[serde(default)]
    pub deny: Value<Vec<DenyBlock>>,
    #[serde(default)]
    pub at: Str,
    #[serde(default)]
    pub open: Value<bool>,
    #[serde(default)]
    pub reason: Str,
    #[serde(default)]
    pub opens_at: Str,
    #[serde(default)]
    pub closes_at: Str,
}

impl ChangeWindowState {
    fn window(&self) -> WindowFields {
        WindowFields {
            timezone: self.timezone.clone(),
            allow: self.allow.clone(),
            deny: self.deny.clone(),
        }
    }
}

/// The data source.
pub struct ChangeWindowSource {
    shared: Arc<Shared>,
}

impl ChangeWindowSource {
    pub fn new(shared: Arc<Shared>) -> Self {
        ChangeWindowSource { shared }
    }
}

fn check_at(diags: &mut Diagnostics, at: &Str) -> Option<Option<DateTime<Utc>>> {
    match known(at) {
        None => Some(None),
        Some(text) => match parse_timestamp(text) {
            Some(at) => Some(Some(at.with_timezone(&Utc))),
            None => {
                diags.error(
                    "Invalid time",
                    format!("at is {text:?}; expected an RFC 3339 timestamp such as 2026-11-24T10:00:00+01:00"),
                    AttributePath::new("at"),
                );
                None
            }
        },
    }
}

#[async_trait]
impl DataSource for ChangeWindowSource {
    type State<'a> = ChangeWindowState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(block(
            "Evaluates a change window: whether changes are allowed at an instant (the \
             provider clock by default), why, and when the window next opens or closes.",
            vec![
                timezone_attribute(),
                (
                    "at",
                    optional(
                        AttributeType::String,
                        "Instant to evaluate (RFC 3339). Defaults to the provider clock.",
                    ),
                ),
                (
                    "open",
                    computed(AttributeType::Bool, "Whether changes are allowed."),
                ),
                (
                    "reason",
                    computed(
                        AttributeType::String,
                        "Which allow matched, or what closed the window.",
                    ),
                ),
                (
                    "opens_at",
                    computed(
                        AttributeType::String,
                        "When closed: the next opening (RFC 3339), else null.",
                    ),
                ),
                (
                    "closes_at",
                    computed(
                        AttributeType::String,
                        "When open: the end of the current open period (RFC 3339), else null.",
                    ),
                ),
            ],
            window_nested_blocks(),
        )))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        check_at(diags, &config.at);
        config.window().compile(diags, AttributePath::root());
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        let at = check_at(diags, &config.at)?;
        let window = config.window().compile(diags, AttributePath::root())?;
        let at = match at {
            Some(at) => at,
            None => self.shared.get(diags).await?.clock.now(),
        };
        let status = window.status_at(at);
        let mut state = config;
        state.open = Value::Value(status.open);
        state.reason = Value::Value(status.reason);
        state.opens_at = status.opens_at.map(|t| t.to_rfc3339()).into();
        state.closes_at = status.closes_at.map(|t| t.to_rfc3339()).into();
        Some(state)
    }
}
