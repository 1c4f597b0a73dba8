//! `guardrail_environment_lock`: a freeze. Creating it takes the environment's
//! lock atomically in the store; destroying it releases the lock (only its own).
//! A live lock of the same owner and configuration (an apply killed after the
//! lock was written, before Terraform recorded it) is adopted instead. Every
//! acquisition, adoption and release is written to the audit trail.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use guardrail_core::environment::EnvironmentName;
use guardrail_core::lock::{
    config_digest, Acquisition, LockError, LockRecord, LockRequest, Locks, ReleaseOutcome,
};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::clock::parse_timestamp;
use crate::configured::Shared;
use crate::duration::parse_duration;
use crate::lock_audit;
use crate::lock_view;
use crate::schema_util::{
    block, computed, known, optional, optional_computed, required, schema, Str,
};
use guardrail_core::actor;

/// The resource's attributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LockState {
    #[serde(default)]
    pub id: Str,
    #[serde(default)]
    pub environment: Str,
    #[serde(default)]
    pub reason: Str,
    #[serde(default)]
    pub owner: Str,
    #[serde(default)]
    pub expires_at: Str,
    #[serde(default)]
    pub ttl: Str,
    #[serde(default)]
    pub acquired_at: Str,
    #[serde(default)]
    pub generation: Value<i64>,
}

/// Attributes whose change replaces the lock (release, then acquire anew).
const REPLACING: &[&str] = &["environment", "reason", "owner", "expires_at", "ttl"];

/// The resource type.
pub struct EnvironmentLock {
    shared: Arc<Shared>,
}

impl EnvironmentLock {
    pub fn new(shared: Arc<Shared>) -> Self {
        EnvironmentLock { shared }
    }
}

fn field<'s>(state: &'s LockState, name: &str) -> &'s Str {
    match name {
        "environment" => &state.environment,
        "reason" => &state.reason,
        "owner" => &state.owner,
        "expires_at" => &state.expires_at,
        _ => &state.ttl,
    }
}

/// Validation of what the configuration says; `config` may hold unknown values.
fn validate(diags: &mut Diagnostics, config: &LockState) {
    crate::schema_util::check_environment(diags, &config.environment, "environment");
    if let Some(reason) = known(&config.reason) {
        if reason.trim().is_empty() {
            diags.error(
                "Invalid lock reason",
                "reason is empty; expected why the environment is frozen, such as an incident number",
                AttributePath::new("reason"),
            );
        }
    }
    if let Some(ttl) = known(&config.ttl) {
        if parse_duration(ttl).is_none() {
            diags.error(
                "Invalid ttl",
                format!(
                    "ttl is {ttl:?}; expected a positive duration such as 90m, 2h, 1h30m or 7d"
                ),
                AttributePath::new("ttl"),
            );
        }
    }
    if let Some(expires_at) = known(&config.expires_at) {
        if parse_timestamp(expires_at).is_none() {
            diags.error(
                "Invalid expires_at",
                format!("expires_at is {expires_at:?}; expected an RFC 3339 timestamp such as 2026-11-24T18:00:00+01:00"),
                AttributePath::new("expires_at"),
            );
        }
    }
    let set = |value: &Str| !matches!(value, Value::Null);
    if set(&config.ttl) && set(&config.expires_at) {
        diags.error(
            "Conflicting expiry",
            "set either ttl or expires_at, not both",
            AttributePath::new("ttl"),
        );
    }
}

/// The state that mirrors a lock record; `ttl` is kept from the configuration,
/// and so is the text of `expires_at` when it names the record's instant.
fn state_from_record(record: &LockRecord, ttl: Str, expires_at_text: &Str) -> LockState {
    let same_instant = known(expires_at_text)
        .and_then(parse_timestamp)
        .zip(record.expires_at)
        .is_some_and(|(given, recorded)| given.with_timezone(&Utc) == recorded);
    LockState {
        id: Value::Value(record.lock_id.clone()),
        environment: Value::Value(record.environment.clone()),
        reason: Value::Value(record.reason.clone()),
        owner: Value::Value(record.owner.clone()),
        expires_at: if same_instant {
            expires_at_text.clone()
        } else {
            lock_view::expires_at_text(record).into()
        },
        ttl,
        acquired_at: Value::Value(record.acquired_at.to_rfc3339()),
        generation: Value::Value(record.generation as i64),
    }
}

fn expiry(config: &LockState, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if let Some(at) = known(&config.expires_at).and_then(parse_timestamp) {
        return Some(at.with_timezone(&Utc));
    }
    known(&config.ttl)
        .and_then(parse_duration)
        .and_then(|ttl| now.checked_add_signed(ttl))
}

/// What makes this configuration's lock "the same": the configured lock, its
/// owner and the working directory Terraform runs in (the provider's own).
fn configuration_digest(config: &LockState, owner: &str) -> Option<String> {
    let environment = known(&config.environment)?;
    let reason = known(&config.reason)?;
    let expires_at = match &config.expires_at {
        Value::Value(text) => parse_timestamp(text)?.with_timezone(&Utc).to_rfc3339(),
        Value::Null => String::new(),
        Value::Unknown => return None,
    };
    let ttl = match &config.ttl {
        Value::Value(text) => text.trim().to_string(),
        Value::Null => String::new(),
        Value::Unknown => return None,
    };
    let directory = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .map(|dir| dir.display().to_string())
        .unwrap_or_default();
    Some(config_digest(&[
        ("environment", environment),
        ("owner", owner),
        ("reason", reason),
        ("expires_at", &expires_at),
        ("ttl", &ttl),
        ("working_directory", &directory),
    ]))
}

/// The owner the configuration asks for: its `owner`, else the current actor.
fn requested_owner(state: &LockState) -> String {
    known(&state.owner)
        .map(str::to_string)
        .unwrap_or_else(actor::current)
}

#[async_trait]
impl Resource for EnvironmentLock {
    type State<'a> = LockState;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(block(
            "Freezes an environment: creating the resource takes the environment's lock \
             atomically in the store, and every change gate of that environment refuses to \
             plan or apply while it is held. Destroying it releases the lock. A live lock \
             held by someone else makes creation fail; an expired one is taken over.",
            vec![
                (
                    "id",
                    computed(
                        AttributeType::String,
                        "Identifier of this lock acquisition.",
                    ),
                ),
                (
                    "environment",
                    required(
                        AttributeType::String,
                        "The environment to freeze, such as `production`.",
                    ),
                ),
                (
                    "reason",
                    required(
                        AttributeType::String,
                        "Why the environment is frozen (shown to everyone blocked).",
                    ),
                ),
                (
                    "owner",
                    optional_computed(
                        AttributeType::String,
                        "Who holds the lock. Defaults to the CI actor or the local user \
                         (`GITHUB_ACTOR`, `GITLAB_USER_LOGIN`, ..., `USER`).",
                    ),
                ),
                (
                    "expires_at",
                    optional_computed(
                        AttributeType::String,
                        "When the freeze ends (RFC 3339). Computed from `ttl` when that is set \
                         instead; with neither the freeze lasts until it is destroyed.",
                    ),
                ),
                (
                    "ttl",
                    optional(
                        AttributeType::String,
                        "How long the freeze lasts from apply, such as `2h` or `1h30m`.",
                    ),
                ),
                (
                    "acquired_at",
                    computed(AttributeType::String, "When the lock was taken (RFC 3339)."),
                ),
                (
                    "generation",
                    computed(
                        AttributeType::Number,
                        "Fencing number: grows with every acquisition of the environment's lock.",
                    ),
                ),
            ],
            vec![],
        )))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        validate(diags, &config);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let (Some(environment), Some(lock_id)) = (known(&state.environment), known(&state.id))
        else {
            return Some((state, private_state));
        };
        let configured = self.shared.get(diags).await?;
        if configured.store_deferred() {
            return Some((state, private_state));
        }
        let Some(store) = configured.store(diags, "guardrail_environment_lock") else {
            return Some((state, private_state));
        };
        match Locks::new(store).read(environment).await {
            Ok(Some((record, _))) if record.lock_id == lock_id && record.released_at.is_none() => {
                Some((
                    state_from_record(&record, state.ttl.clone(), &state.expires_at),
                    private_state,
                ))
            }
            Ok(Some((record, _))) => {
                tracing::info!(
                    environment,
                    holder = %record.owner,
                    "lock released or taken over outside Terraform"
                );
                None
            }
            Ok(None) => None,
            Err(error) => {
                diags.root_error(
                    "Cannot read the environment lock",
                    format!("{environment}: {error}"),
                );
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        validate(diags, &config_state);
        let mut state = proposed_state;
        if matches!(state.owner, Value::Null) {
            state.owner = Value::Value(actor::current());
        }
        if matches!(state.expires_at, Value::Null) && !matches!(state.ttl, Value::Null) {
            state.expires_at = Value::Unknown;
        }
        state.id = Value::Unknown;
        state.acquired_at = Value::Unknown;
        state.generation = Value::Unknown;

        // Tell early when the environment is already frozen by someone else.
        if let (Some(environment), Some(configured)) =
            (known(&state.environment), self.shared.get(diags).await)
        {
            if let crate::configured::StoreAccess::Ready(store) = &configured.store {
                let now = configured.clock.now();
                if let Ok(Some(live)) = Locks::new(store).current(environment, now).await {
                    let owner = requested_owner(&state);
                    let request = LockRequest {
                        environment: environment.to_string(),
                        owner: owner.clone(),
                        config_digest: configuration_digest(&config_state, &owner),
                        ..LockRequest::default()
                    };
                    if live.adoptable_by(&request, now) {
                        diags.warning(
                            "Adopting a lock left by an interrupted apply",
                            format!(
                                "{environment} is {}, taken by this configuration but not in its state. \
                                 The apply adopts it: same lock, generation {}.",
                                lock_view::describe(&live),
                                live.generation
                            ),
                            AttributePath::new("environment"),
                        );
                    } else {
                        diags.warning(
                            "Environment already locked",
                            format!(
                                "{environment} is {}. The apply will fail unless that lock is released or expires first.",
                                lock_view::describe(&live)
                            ),
                            AttributePath::new("environment"),
                        );
                    }
                }
            }
        }
        Some((state, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        validate(diags, &config_state);
        let replace: Vec<AttributePath> = REPLACING
            .iter()
            .filter(|name| field(&prior_state, name) != field(&proposed_state, name))
            // An imported lock has no ttl in state: adopting the configured ttl
            // does not change the lock.
            .filter(|name| !(**name == "ttl" && matches!(prior_state.ttl, Value::Null)))
            .map(|name| AttributePath::new(*name))
            .collect();
        Some((proposed_state, prior_private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let configured = self.shared.get(diags).await?;
        let store = configured.store(diags, "guardrail_environment_lock")?;
        let environment = known(&planned_state.environment)?.to_string();
        let now = configured.clock.now();
        let expires_at = expiry(&config_state, now);
        if let Some(expires_at) = expires_at.filter(|at| *at <= now) {
            diags.error(
                "Expiry in the past",
                format!(
                    "expires_at {} is not after now ({}); the freeze would end before it starts",
                    expires_at.to_rfc3339(),
                    now.to_rfc3339()
                ),
                AttributePath::new("expires_at"),
            );
            return None;
        }
        let owner = requested_owner(&planned_state);
        let request = LockRequest {
            environment: environment.clone(),
            config_digest: configuration_digest(&config_state, &owner),
            owner,
            reason: known(&planned_state.reason).unwrap_or_default().to_string(),
            expires_at,
        };
        let Some(done) = lock_audit::acquire(store, &configured.clock, &request, now).await else {
            lock_audit::refuse_ending(diags);
            return None;
        };
        lock_audit::warn_unaudited(diags, done.audit_failure);
        match done.outcome {
            Ok(acquisition) => {
                let record = acquisition.record().clone();
                if let Acquisition::Adopted(_) = acquisition {
                    diags.warning(
                        "Adopted a lock left by an interrupted apply",
                        format!(
                            "{environment} was {}, taken by this configuration but never recorded in its \
                             state; it is in the state now (generation {}, lock id {}).",
                            lock_view::describe(&record),
                            record.generation,
                            record.lock_id
                        ),
                        AttributePath::new("environment"),
                    );
                }
                Some((
                    state_from_record(
                        &record,
                        planned_state.ttl.clone(),
                        &planned_state.expires_at,
                    ),
                    planned_private_state,
                ))
            }
            Err(error) => {
                let holder = match &error {
                    LockError::Held(live) => Some((**live).clone()),
                    // Lost a race: name whoever won it.
                    LockError::Contended { .. } => Locks::new(store)
                        .current(&environment, now)
                        .await
                        .ok()
                        .flatten(),
                    _ => None,
                };
                match holder {
                    Some(live) => diags.error(
                        "Environment is locked",
                        lock_view::held_detail(store, &live, &request.owner),
                        AttributePath::new("environment"),
                    ),
                    None => diags.error(
                        "Cannot take the environment lock",
                        format!("{environment}: {error}"),
                        AttributePath::new("environment"),
                    ),
                }
                None
            }
        }
    }

    async fn update<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        // Every change of the lock itself replaces it; an update only records the
        // ttl of an imported lock.
        Some((planned_state, planned_private_state))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let (Some(environment), Some(lock_id)) =
            (known(&prior_state.environment), known(&prior_state.id))
        else {
            return Some(());
        };
        let configured = self.shared.get(diags).await?;
        let store = configured.store(diags, "guardrail_environment_lock")?;
        let now = configured.clock.now();
        let Some(done) =
            lock_audit::release(store, &configured.clock, environment, lock_id, now).await
        else {
            lock_audit::refuse_ending(diags);
            return None;
        };
        lock_audit::warn_unaudited(diags, done.audit_failure);
        match done.outcome {
            Ok(ReleaseOutcome::Released(_)) | Ok(ReleaseOutcome::AlreadyReleased) => Some(()),
            Ok(ReleaseOutcome::HeldByOther(record)) => {
                diags.warning(
                    "Lock not released",
                    format!(
                        "{environment} was taken over after this lock expired and is now {}; \
                         that lock is left in place.",
                        lock_view::describe(&record)
                    ),
                    AttributePath::new("environment"),
                );
                Some(())
            }
            Err(error) => {
                diags.root_error(
                    "Cannot release the environment lock",
                    format!("{environment}: {error}"),
                );
                None
            }
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let environment = id.trim().to_string();
        if let Err(error) = EnvironmentName::parse(&environment) {
            diags.root_error(
                "Invalid import ID",
                format!("expected the environment name, such as `production`: {error}"),
            );
            return None;
        }
        let configured = self.shared.get(diags).await?;
        let store = configured.store(diags, "guardrail_environment_lock")?;
        let now = configured.clock.now();
        match Locks::new(store).current(&environment, now).await {
            Ok(Some(record)) => Some((
                state_from_record(&record, Value::Null, &Value::Null),
                ValueEmpty::default(),
            )),
            Ok(None) => {
                diags.root_error(
                    "No live lock to import",
                    format!("{environment} is not locked right now; there is nothing to adopt."),
                );
                None
            }
            Err(error) => {
                diags.root_error(
                    "Cannot read the environment lock",
                    format!("{environment}: {error}"),
                );
                None
            }
        }
    }
}
