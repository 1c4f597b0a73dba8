//! `guardrail_environment`: whether an environment is frozen right now, and by whom.

use std::sync::Arc;

use async_trait::async_trait;
use guardrail_core::lock::Locks;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{DataSource, Diagnostics};

use crate::configured::Shared;
use crate::lock_view;
use crate::schema_util::{block, check_environment, computed, known, required, schema, Str};

/// The data source's attributes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnvironmentState {
    #[serde(default)]
    pub name: Str,
    #[serde(default)]
    pub locked: Value<bool>,
    #[serde(default)]
    pub lock_owner: Str,
    #[serde(default)]
    pub lock_reason: Str,
    #[serde(default)]
    pub lock_expires_at: Str,
    #[serde(default)]
    pub lock_generation: Value<i64>,
}

/// The data source.
pub struct Environment {
    shared: Arc<Shared>,
}

impl Environment {
    pub fn new(shared: Arc<Shared>) -> Self {
        Environment { shared }
    }
}

#[async_trait]
impl DataSource for Environment {
    type State<'a> = EnvironmentState;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(block(
            "Reads whether an environment is frozen by a live lock, and who holds it.",
            vec![
                ("name", required(AttributeType::String, "The environment, such as `production`.")),
                ("locked", computed(AttributeType::Bool, "Whether a live lock freezes the environment.")),
                ("lock_owner", computed(AttributeType::String, "Who holds the live lock.")),
                ("lock_reason", computed(AttributeType::String, "Why the environment is frozen.")),
                (
                    "lock_expires_at",
                    computed(AttributeType::String, "When the live lock expires (RFC 3339)."),
                ),
                (
                    "lock_generation",
                    computed(
                        AttributeType::Number,
                        "Fencing number of the environment's lock record (grows with every acquisition); \
                         0 when the environment was never locked.",
                    ),
                ),
            ],
            vec![],
        )))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        check_environment(diags, &config.name, "name");
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        check_environment(diags, &config.name, "name").then_some(())?;
        let name = known(&config.name)?.to_string();
        let configured = self.shared.get(diags).await?;
        let store = configured.store(diags, "guardrail_environment")?;
        let now = configured.clock.now();
        let locks = Locks::new(store);
        let record = match locks.read(&name).await {
            Ok(record) => record,
            Err(error) => {
                diags.root_error(
                    "Cannot read the environment lock",
                    format!("{name}: {error}"),
                );
                return None;
            }
        };
        // One read serves both: the live lock and the record's generation.
        let live = record
            .as_ref()
            .map(|(record, _)| record)
            .filter(|record| record.is_live(now));
        let mut state = config;
        state.locked = Value::Value(live.is_some());
        state.lock_owner = live.map(|r| r.owner.clone()).into();
        state.lock_reason = live.map(|r| r.reason.clone()).into();
        state.lock_expires_at = live.and_then(lock_view::expires_at_text).into();
        state.lock_generation = Value::Value(
            record
                .as_ref()
                .map(|(r, _)| r.generation as i64)
                .unwrap_or(0),
        );
        Some(state)
    }
}
