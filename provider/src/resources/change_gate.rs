//! `guardrail_change_gate`: the checkpoint every change of an environment passes.
//!
//! At plan time it refuses a frozen environment or a closed change window. At
//! apply time (create or update) it checks again with the clock of the apply, and
//! with `require_attestation` it verifies the signed attestation for its `plan_id`.
//! When a check fails the gate is not created or updated, so nothing that
//! `depends_on` it changes. Every apply attempt leaves an audit record.
//!
//! ## `plan_id`
//! Terraform re-plans every resource during apply and requires known values to
//! stay the same, so `plan_id` cannot be a random value drawn during planning.
//! Instead each refresh (the first step of every `terraform plan`) draws a new id
//! and keeps it in the gate's private state; the refreshed state is saved in the
//! plan file, so the plan and the apply of that plan see the same id, and every
//! new plan gets a new one. A gate that does not exist yet has no refresh: its
//! first `plan_id` is derived from its environment and configuration.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use guardrail_core::attestation;
use guardrail_core::audit_record::{self, AuditRecord, BreakGlass};
use guardrail_core::environment::EnvironmentName;
use guardrail_core::lock::{LockRecord, Locks};
use guardrail_core::store::Store;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tf_provider::schema::{AttributeType, NestedBlock, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::lock_view;
use crate::provider::{Configured, Shared};
use crate::schema_util::{
    block, computed, known, optional, optional_computed, required, schema, Str,
};
use crate::window_block::{timezone_attribute, window_nested_blocks, WindowFields};

/// Namespace of the `plan_id`s derived without a refresh (uuid v5).
const PLAN_ID_NAMESPACE: uuid::Uuid = uuid::uuid!("6f0c8a52-3c1e-4d8e-9b7a-6a1f2d9c4e11");

/// Decisions recorded in state and in the audit trail.
pub const ALLOWED: &str = "allowed";
pub const ALLOWED_BREAK_GLASS: &str = "allowed-break-glass";
pub const DENIED: &str = "denied";

/// The resource's attributes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GateState {
    #[serde(default)]
    pub id: Str,
    #[serde(default)]
    pub environment: Str,
    #[serde(default)]
    pub change_window: Value<Vec<WindowFields>>,
    #[serde(default)]
    pub require_attestation: Value<bool>,
    #[serde(default)]
    pub break_glass: Value<Vec<BreakGlassBlock>>,
    #[serde(default)]
    pub plan_id: Str,
    #[serde(default)]
    pub decision: Str,
    #[serde(default)]
    pub checked_at: Str,
    #[serde(default)]
    pub provider_guard: Str,
}

/// The `break_glass` block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreakGlassBlock {
    #[serde(default)]
    pub reason: Str,
    #[serde(default)]
    pub ticket: Str,
}

/// Private state: the `plan_id` the next plan will use, drawn at refresh.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GatePrivate {
    #[serde(default)]
    pub next_plan_id: Option<String>,
}

type Private = Value<GatePrivate>;

/// The resource type.
pub struct ChangeGate {
    shared: Arc<Shared>,
}

impl ChangeGate {
    pub fn new(shared: Arc<Shared>) -> Self {
        ChangeGate { shared }
    }
}

impl GateState {
    fn window(&self) -> Option<&WindowFields> {
        match &self.change_window {
            Value::Value(blocks) => blocks.first(),
            _ => None,
        }
    }

    fn break_glass(&self) -> Option<BreakGlass> {
        match &self.break_glass {
            Value::Value(blocks) => blocks.first().map(|glass| BreakGlass {
                reason: known(&glass.reason).unwrap_or_default().to_string(),
                ticket: known(&glass.ticket).unwrap_or_default().to_string(),
            }),
            _ => None,
        }
    }

    fn requires_attestation(&self) -> bool {
        matches!(self.require_attestation, Value::Value(true))
    }

    /// A digest of what the configuration says, for the first `plan_id`.
    fn config_digest(&self) -> String {
        let config = (
            &self.environment,
            &self.change_window,
            &self.require_attestation,
            &self.break_glass,
        );
        let json = serde_json::to_vec(&config).unwrap_or_default();
        hex::encode(Sha256::digest(json))
    }
}

fn validate(diags: &mut Diagnostics, config: &GateState) {
    if let Some(environment) = known(&config.environment) {
        if let Err(error) = EnvironmentName::parse(environment) {
            diags.error(
                "Invalid environment",
                error.to_string(),
                AttributePath::new("environment"),
            );
        }
    }
    if let Some(window) = config.window() {
        window.compile(diags, AttributePath::new("change_window").index(0));
    }
    if let Value::Value(blocks) = &config.break_glass {
        if let Some(glass) = blocks.first() {
            if let Some(reason) = known(&glass.reason) {
                if reason.trim().is_empty() {
                    diags.error(
                        "Invalid break glass",
                        "reason is empty; breaking the glass needs a reason that the audit trail records",
                        AttributePath::new("break_glass").index(0).attribute("reason"),
                    );
                }
            }
        }
    }
}

/// Why the gate is closed right now (each may be bypassed by break glass).
#[derive(Debug, Default)]
struct Blockers {
    frozen: Option<LockRecord>,
    window_closed: Option<String>,
}

impl Blockers {
    fn any(&self) -> bool {
        self.frozen.is_some() || self.window_closed.is_some()
    }

    fn reasons(&self, environment: &str) -> Vec<String> {
        let mut reasons = Vec::new();
        if let Some(lock) = &self.frozen {
            reasons.push(format!(
                "{environment} is frozen: {}",
                lock_view::describe(lock)
            ));
        }
        if let Some(window) = &self.window_closed {
            reasons.push(window.clone());
        }
        reasons
    }
}

/// Checks the freeze and the window at `now`. Errors reading the store are
/// reported and returned as `None` (the caller fails closed).
async fn blockers(
    diags: &mut Diagnostics,
    store: &Store,
    state: &GateState,
    environment: &str,
    now: DateTime<Utc>,
) -> Option<Blockers> {
    let mut found = Blockers::default();
    match Locks::new(store).current(environment, now).await {
        Ok(live) => found.frozen = live,
        Err(error) => {
            diags.root_error(
                "Cannot read the environment lock",
                format!("{environment}: {error}"),
            );
            return None;
        }
    }
    if let Some(fields) = state.window() {
        let window = fields.compile(diags, AttributePath::new("change_window").index(0))?;
        let status = window.status_at(now);
        if !status.open {
            let next = match status.opens_at {
                Some(at) => format!("next opening {}", at.to_rfc3339()),
                None => "no opening within the next 400 days".to_string(),
            };
            found.window_closed = Some(format!(
                "the change window is closed ({}) at {}; {next}",
                status.reason,
                now.to_rfc3339()
            ));
        }
    }
    Some(found)
}

/// Reports blockers: errors, or warnings when the glass is broken.
fn report_blockers(
    diags: &mut Diagnostics,
    blockers: &Blockers,
    environment: &str,
    glass: Option<&BreakGlass>,
    when: &str,
) {
    if !blockers.any() {
        return;
    }
    let reasons = blockers.reasons(environment).join("\n");
    match glass {
        Some(glass) => diags.warning(
            "Break glass: passing a closed gate",
            format!(
                "{reasons}\nThe gate lets this {when} through because break_glass is set \
                 (reason: {}, ticket: {}). The audit trail records it.",
                glass.reason,
                if glass.ticket.is_empty() {
                    "none"
                } else {
                    &glass.ticket
                }
            ),
            AttributePath::new("break_glass"),
        ),
        None => {
            let path = if blockers.frozen.is_some() {
                AttributePath::new("environment")
            } else {
                AttributePath::new("change_window")
            };
            diags.error(
                "Change gate closed",
                format!(
                    "{reasons}\nNo change to {environment} may {when} now. In an emergency, add a \
                     break_glass {{ reason, ticket }} block."
                ),
                path,
            )
        }
    }
}

/// Shared plan-time logic of create and update.
async fn plan_checks(
    diags: &mut Diagnostics,
    configured: &Configured,
    state: &GateState,
) -> Option<()> {
    let environment = known(&state.environment)?;
    if let Some(provider_environment) = configured.environment.as_deref() {
        if provider_environment != environment {
            diags.warning(
                "Gate for another environment",
                format!(
                    "this gate guards {environment}, but the provider is configured for \
                     {provider_environment}; changes to {provider_environment} do not pass it"
                ),
                AttributePath::new("environment"),
            );
        }
    }
    if configured.store_deferred() {
        return Some(());
    }
    let store = configured.store(diags, "guardrail_change_gate")?;
    let now = configured.clock.now();
    let found = blockers(diags, store, state, environment, now).await?;
    let glass = state.break_glass();
    report_blockers(diags, &found, environment, glass.as_ref(), "be planned");
    if found.any() && glass.is_none() {
        // Terraform plans every resource again right before applying it, so this
        // is also where an apply that reaches a closed gate stops: record it.
        let lock_generation = found.frozen.as_ref().map(|lock| lock.generation);
        let record = AuditRecord {
            environment: environment.to_string(),
            plan_id: known(&state.plan_id).unwrap_or_default().to_string(),
            decision: DENIED.to_string(),
            who: audit_record::default_actor(),
            at: now,
            reasons: found.reasons(environment),
            break_glass: None,
            lock_generation,
            action: "gate".to_string(),
            ..Default::default()
        };
        if let Err(error) = audit_record::write(store, &record).await {
            tracing::warn!(%error, environment, "could not record the denied check");
        }
    }
    Some(())
}

fn derived_plan_id(seed: &str) -> String {
    uuid::Uuid::new_v5(&PLAN_ID_NAMESPACE, seed.as_bytes()).to_string()
}

/// Spends the attestation of an allowed apply: it lets exactly one apply through.
async fn spend_attestation(store: &Store, record: &attestation::SpentRecord) -> Result<(), String> {
    let plan_id = &record.plan_id;
    match attestation::spend(store, record).await {
        Ok(attestation::Spend::First) => Ok(()),
        Ok(attestation::Spend::AlreadySpent(earlier)) => {
            let by = earlier
                .map(|earlier| format!(" by {} at {}", earlier.who, earlier.at.to_rfc3339()))
                .unwrap_or_default();
            Err(format!(
                "the attestation for plan_id {plan_id} was already used by an apply{by}: an \
                 attestation lets one apply through. Plan again, audit the new plan with \
                 `tfaudit plan --attest`, and apply that plan file"
            ))
        }
        Err(error) => Err(format!(
            "cannot record the use of the attestation for plan_id {plan_id}: {error}"
        )),
    }
}

/// Verifies the attestation for `plan_id`; the failure reason otherwise.
async fn check_attestation(
    configured: &Configured,
    store: &Store,
    environment: &str,
    plan_id: &str,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let mut keys = Vec::new();
    for key in &configured.attestation_public_keys {
        match attestation::parse_public_key(key) {
            Ok(key) => keys.push(key),
            Err(error) => return Err(format!("an attestation public key is invalid: {error}")),
        }
    }
    if keys.is_empty() {
        return Err(
            "require_attestation is set but the provider has no attestation_public_keys to verify with"
                .to_string(),
        );
    }
    let envelope = match attestation::fetch(store, environment, plan_id).await {
        Ok(Some(envelope)) => envelope,
        Ok(None) => {
            return Err(format!(
                "no attestation for plan_id {plan_id} at {}: audit this plan with `tfaudit plan --attest` \
                 and apply exactly that plan file",
                attestation::attestation_key(environment, plan_id)
            ))
        }
        Err(error) => return Err(format!("cannot read the attestation for plan_id {plan_id}: {error}")),
    };
    attestation::verify(&envelope, &keys, environment, plan_id, now)
        .map(|_| ())
        .map_err(|error| format!("the attestation for plan_id {plan_id} is not valid: {error}"))
}

/// The apply-time check. Returns the decision, or `None` when the gate must not pass.
async fn apply_checks(
    diags: &mut Diagnostics,
    configured: &Configured,
    planned: &GateState,
) -> Option<(String, DateTime<Utc>)> {
    let store = configured.store(diags, "guardrail_change_gate")?;
    let Some(environment) = known(&planned.environment) else {
        diags.error(
            "Unknown environment",
            "the gate's environment is not known at apply",
            AttributePath::new("environment"),
        );
        return None;
    };
    let Some(plan_id) = known(&planned.plan_id) else {
        diags.root_error("Missing plan_id", "the gate has no plan_id at apply");
        return None;
    };
    let now = configured.clock.now();
    let glass = planned.break_glass();
    let mut reasons = Vec::new();
    let mut denied = false;
    let mut bypassed = false;

    let lock_generation = match Locks::new(store).read(environment).await {
        Ok(record) => record.map(|(r, _)| r.generation),
        Err(_) => None,
    };
    match blockers(diags, store, planned, environment, now).await {
        Some(found) => {
            reasons.extend(found.reasons(environment));
            if found.any() {
                match glass {
                    Some(_) => bypassed = true,
                    None => denied = true,
                }
            }
            report_blockers(diags, &found, environment, glass.as_ref(), "be applied");
        }
        None => {
            reasons.push("the gate could not read the freeze or the window".to_string());
            denied = true;
        }
    }
    if planned.requires_attestation() {
        let mut outcome = check_attestation(configured, store, environment, plan_id, now).await;
        if outcome.is_ok() {
            reasons.push(format!("attestation for plan_id {plan_id} verified"));
            // Spent only by an apply that goes through.
            if !denied {
                let record = attestation::SpentRecord {
                    environment: environment.to_string(),
                    plan_id: plan_id.to_string(),
                    who: audit_record::default_actor(),
                    at: now,
                };
                outcome = spend_attestation(store, &record).await;
            }
        }
        if let Err(reason) = outcome {
            diags.error(
                "Attestation check failed",
                format!("{reason}\nThe gate refuses this apply; nothing behind it changes."),
                AttributePath::new("require_attestation"),
            );
            reasons.push(reason);
            denied = true;
        }
    }
    let decision = if denied {
        DENIED
    } else if bypassed {
        ALLOWED_BREAK_GLASS
    } else {
        ALLOWED
    };
    let record = AuditRecord {
        environment: environment.to_string(),
        plan_id: plan_id.to_string(),
        decision: decision.to_string(),
        who: audit_record::default_actor(),
        at: now,
        reasons,
        break_glass: glass,
        lock_generation,
        action: "gate".to_string(),
        ..Default::default()
    };
    if let Err(error) = audit_record::write(store, &record).await {
        diags.root_error(
            "Cannot write the audit record",
            format!("{environment}: {error}. The gate does not pass without an audit record."),
        );
        return None;
    }
    if denied {
        None
    } else {
        Some((decision.to_string(), now))
    }
}

#[async_trait]
impl Resource for ChangeGate {
    type State<'a> = GateState;
    type PrivateState<'a> = Private;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema(block(
            "The checkpoint every change of an environment passes. Resources that \
             `depends_on` the gate change only when it passes: at plan and again at apply it \
             refuses a frozen environment or a closed change window, and with \
             `require_attestation` it applies only plans whose `plan_id` carries a valid \
             signed attestation. Every plan gives the gate a fresh `plan_id`, so every apply \
             passes through it.",
            vec![
                ("id", computed(AttributeType::String, "The environment.")),
                (
                    "environment",
                    required(AttributeType::String, "The environment this gate guards, such as `production`."),
                ),
                (
                    "require_attestation",
                    optional_computed(
                        AttributeType::Bool,
                        "Apply only plans with a valid attestation for their `plan_id`, signed by one \
                         of the provider's `attestation_public_keys`. Defaults to `false`.",
                    ),
                ),
                (
                    "plan_id",
                    computed(
                        AttributeType::String,
                        "Identifier of this plan, known at plan time. `tfaudit plan --attest` signs \
                         attestations for it.",
                    ),
                ),
                (
                    "decision",
                    computed(
                        AttributeType::String,
                        "Outcome of the last apply check: `allowed` or `allowed-break-glass`.",
                    ),
                ),
                ("checked_at", computed(AttributeType::String, "When the gate last checked (RFC 3339).")),
                (
                    "provider_guard",
                    computed(
                        AttributeType::String,
                        "Always the empty string, known at plan time. Interpolate it into an \
                         argument of the provider configuration of everything behind the gate \
                         (`token = \"${var.hcloud_token}${guardrail_change_gate.this.provider_guard}\"`): \
                         Terraform then configures that provider, and so creates, updates and \
                         destroys any of its resources, only after the gate's apply-time check. \
                         `depends_on` alone does not hold back destroys, which Terraform orders \
                         before the update of what they depend on.",
                    ),
                ),
            ],
            vec![
                (
                    "change_window",
                    NestedBlock::Optional(block(
                        "When changes may be applied: the same shape as the \
                         `guardrail_change_window` data source.",
                        vec![timezone_attribute()],
                        window_nested_blocks(),
                    )),
                ),
                (
                    "break_glass",
                    NestedBlock::Optional(block(
                        "Emergency override: lets a change through a freeze or a closed window \
                         (never through a missing or invalid attestation), with a warning and \
                         an audit record.",
                        vec![
                            ("reason", required(AttributeType::String, "Why the glass is broken.")),
                            (
                                "ticket",
                                optional(AttributeType::String, "The incident or change ticket."),
                            ),
                        ],
                        vec![],
                    )),
                ),
            ],
        )))
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        validate(diags, &config);
        Some(())
    }

    async fn read<'a>(
        &self,
        _diags: &mut Diagnostics,
        state: Self::State<'a>,
        _private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        // Every refresh draws the plan_id of the plan that follows it.
        let private = GatePrivate {
            next_plan_id: Some(uuid::Uuid::new_v4().to_string()),
        };
        Some((state, Value::Value(private)))
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        validate(diags, &config_state);
        let configured = self.shared.get(diags).await?;
        let mut state = proposed_state;
        if matches!(state.require_attestation, Value::Null) {
            state.require_attestation = Value::Value(false);
        }
        state.id = state.environment.clone();
        state.plan_id = match known(&state.environment) {
            Some(environment) => Value::Value(derived_plan_id(&format!(
                "first plan of the gate of {environment} configured as {}",
                state.config_digest()
            ))),
            None => Value::Unknown,
        };
        state.decision = Value::Unknown;
        state.checked_at = Value::Unknown;
        state.provider_guard = Value::Value(String::new());
        if state.requires_attestation() {
            diags.warning(
                "First plan of a gate",
                "This gate does not exist yet, so its plan_id is derived from its environment and \
                 configuration instead of being drawn for this plan: every plan made before the \
                 gate is created shares it. An attestation lets one apply through, so only the \
                 first of those plans to be applied can use it. Create the gate in an apply of its \
                 own before relying on attestations.",
                AttributePath::new("plan_id"),
            );
        }
        if diags.errors.is_empty() {
            plan_checks(diags, &configured, &state).await;
        }
        Some((state, Value::Value(GatePrivate::default())))
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
        let configured = self.shared.get(diags).await?;
        let mut state = proposed_state;
        if matches!(state.require_attestation, Value::Null) {
            state.require_attestation = Value::Value(false);
        }
        state.id = state.environment.clone();
        let previous = known(&prior_state.plan_id).unwrap_or_default().to_string();
        let drawn = match &prior_private_state {
            Value::Value(private) => private.next_plan_id.clone().filter(|id| *id != previous),
            _ => None,
        };
        state.plan_id = Value::Value(match drawn {
            Some(id) => id,
            None => {
                let message =
                    "This plan was made without refreshing the gate (-refresh=false), so \
                               its plan_id is derived from the previous one and is the same for \
                               every such plan until the next apply.";
                if state.requires_attestation() {
                    diags.error(
                        "Plan without refresh",
                        format!("{message} A gate that requires attestation needs a plan_id of its own: plan again with refresh."),
                        AttributePath::new("plan_id"),
                    );
                } else {
                    diags.warning(
                        "Plan without refresh",
                        message,
                        AttributePath::new("plan_id"),
                    );
                }
                derived_plan_id(&format!("plan after {previous}"))
            }
        });
        state.decision = Value::Unknown;
        state.checked_at = Value::Unknown;
        state.provider_guard = Value::Value(String::new());
        let mut replace = Vec::new();
        if prior_state.environment != state.environment {
            replace.push(AttributePath::new("environment"));
        }
        if diags.errors.is_empty() {
            plan_checks(diags, &configured, &state).await;
        }
        Some((state, prior_private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        // `terraform destroy` (or removing the gate) is a change of the environment
        // too: it is planned only when the environment is not frozen and the window
        // is open, or with the break glass the gate was last applied with.
        let configured = self.shared.get(diags).await?;
        plan_checks(diags, &configured, &prior_state).await;
        Some(prior_private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let configured = self.shared.get(diags).await?;
        let (decision, at) = apply_checks(diags, &configured, &planned_state).await?;
        let mut state = planned_state;
        state.decision = Value::Value(decision);
        state.checked_at = Value::Value(at.to_rfc3339());
        // The drawn id is spent: only a new refresh draws the next one.
        Some((state, Value::Value(GatePrivate::default())))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        // The drawn id is spent either way: only a new refresh draws the next one.
        let spent = Value::Value(GatePrivate::default());
        let Some(configured) = self.shared.get(diags).await else {
            return Some((prior_state, spent));
        };
        match apply_checks(diags, &configured, &planned_state).await {
            Some((decision, at)) => {
                let mut state = planned_state;
                state.decision = Value::Value(decision);
                state.checked_at = Value::Value(at.to_rfc3339());
                Some((state, spent))
            }
            // Denied: keep the prior state, so the gate (and what depends on it) stays as it was.
            None => Some((prior_state, spent)),
        }
    }

    async fn destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior_state: Self::State<'a>,
        _planned_private_state: Self::PrivateState<'a>,
        _provider_meta_state: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        Some(())
    }
}
