//! `guardrail_change_gate`: the checkpoint every change of an environment passes.
//!
//! This file holds the schema and the lifecycle. The decision itself is
//! `guardrail_core::gate` (the same one `tfaudit gate` makes for changes that
//! are not Terraform); [`plan_id`] draws and reserves plan ids; [`diagnostics`]
//! turns a decision into what Terraform shows.
//!
//! At plan time the gate refuses a frozen environment or a closed change window.
//! At apply time (create or update) it checks again with the clock of the apply,
//! and with `require_attestation` it verifies and spends the signed attestation
//! for its `plan_id`. When a check fails the gate is not created or updated, so
//! nothing that `depends_on` it changes. Every apply attempt leaves an audit record.
//!
//! May import: what `resources` may; the decision itself comes from `guardrail_core::gate`.

mod diagnostics;
mod plan_id;

use std::sync::Arc;

use async_trait::async_trait;
use guardrail_core::attestation;
use guardrail_core::audit_record::BreakGlass;
use guardrail_core::gate::{self, AttestationPolicy, GateRequest, Phase};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeType, NestedBlock, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::configured::{store_diagnostic, Configured, Shared};
use crate::schema_util::{
    block, computed, known, optional, optional_computed, required, schema, Str,
};
use crate::window_block::{timezone_attribute, window_nested_blocks, WindowFields};

pub use plan_id::GatePrivate;

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

type Private = Value<GatePrivate>;

/// The resource type.
pub struct ChangeGate {
    shared: Arc<Shared>,
    plan_ids: plan_id::Drawn,
}

impl ChangeGate {
    pub fn new(shared: Arc<Shared>) -> Self {
        ChangeGate {
            shared,
            plan_ids: plan_id::Drawn::default(),
        }
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
}

fn validate(diags: &mut Diagnostics, config: &GateState) {
    crate::schema_util::check_environment(diags, &config.environment, "environment");
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

/// The question the gate asks `guardrail_core::gate`. `None` after an error
/// diagnostic (an invalid window, an unreadable key).
fn request(
    diags: &mut Diagnostics,
    configured: &Configured,
    state: &GateState,
    phase: Phase,
    attested: bool,
) -> Option<GateRequest> {
    let environment = known(&state.environment)?.to_string();
    let window = match state.window() {
        Some(fields) => Some(fields.compile(diags, AttributePath::new("change_window").index(0))?),
        None => None,
    };
    let attestation = if attested {
        let mut trusted_keys = Vec::new();
        for key in &configured.attestation_public_keys {
            match attestation::parse_public_key(key) {
                Ok(key) => trusted_keys.push(key),
                Err(error) => {
                    diags.error(
                        "Attestation check failed",
                        format!("an attestation public key is invalid: {error}"),
                        AttributePath::new("require_attestation"),
                    );
                    return None;
                }
            }
        }
        Some(AttestationPolicy { trusted_keys })
    } else {
        None
    };
    Some(GateRequest {
        environment,
        phase,
        plan_id: known(&state.plan_id).unwrap_or_default().to_string(),
        now: configured.clock.now(),
        clock_override: configured.clock.override_record(),
        window,
        break_glass: state.break_glass(),
        attestation,
    })
}

/// Shared plan-time logic of create, update and destroy.
async fn plan_checks(
    diags: &mut Diagnostics,
    configured: &Configured,
    state: &GateState,
    attested: bool,
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
    let request = request(diags, configured, state, Phase::Plan, attested)?;
    let decision = gate::decide(&request, &gate::observe(store, &request).await);
    if !decision.outcome.passes() {
        // A passing plan only read the lock. A refusal is recorded, so the store
        // must honour conditional writes; when it cannot be used, that is the cause
        // to tell (an unreadable lock is its symptom).
        if let Err(error) = store.verify_conditional_writes().await {
            let (summary, detail) = store_diagnostic(store, &error);
            diags.root_error(summary, detail);
            return None;
        }
    }
    // Terraform plans every resource again right before applying it, so this is
    // also where an apply that reaches a closed gate stops: a denial is recorded.
    let concluded = gate::conclude(store, &request, decision).await.ok()?;
    diagnostics::report(diags, &request, &concluded.decision, "be planned");
    Some(())
}

/// The apply-time check: the decision and when it was taken, or `None` when the
/// gate must not pass.
async fn apply_checks(
    diags: &mut Diagnostics,
    configured: &Configured,
    prior: Option<&GateState>,
    planned: &GateState,
) -> Option<(String, String)> {
    let store = configured.store(diags, "guardrail_change_gate")?;
    if known(&planned.environment).is_none() {
        diags.error(
            "Unknown environment",
            "the gate's environment is not known at apply",
            AttributePath::new("environment"),
        );
        return None;
    }
    if known(&planned.plan_id).is_none() {
        diags.root_error("Missing plan_id", "the gate has no plan_id at apply");
        return None;
    }
    let attested =
        planned.requires_attestation() || prior.is_some_and(GateState::requires_attestation);
    let request = request(diags, configured, planned, Phase::Apply, attested)?;
    let decision = gate::decide(&request, &gate::observe(store, &request).await);
    let concluded = match gate::conclude(store, &request, decision).await {
        Ok(concluded) => concluded,
        Err(error) => {
            diags.root_error("Cannot write the audit record", error.to_string());
            return None;
        }
    };
    diagnostics::report(diags, &request, &concluded.decision, "be applied");
    concluded.decision.outcome.passes().then(|| {
        (
            concluded.decision.outcome.as_str().to_string(),
            request.now.to_rfc3339(),
        )
    })
}

fn default_require_attestation(state: &mut GateState) {
    if matches!(state.require_attestation, Value::Null) {
        state.require_attestation = Value::Value(false);
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
                         of the provider's `attestation_public_keys`. Defaults to `false`. A plan \
                         that turns it off still needs an attestation. A gate that requires \
                         attestation must exist before the plans it checks: create it with \
                         `require_attestation = false` in an apply of its own, then turn it on.",
                    ),
                ),
                (
                    "plan_id",
                    computed(
                        AttributeType::String,
                        "Identifier of this plan, known at plan time and drawn for this plan \
                         only: with `require_attestation`, the plan reserves it in the store and \
                         a second plan presenting it is refused. `tfaudit plan --attest` signs \
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
        Some((state, Value::Value(self.plan_ids.draw())))
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
        default_require_attestation(&mut state);
        state.id = state.environment.clone();
        state.plan_id = match known(&state.environment) {
            Some(environment) => Value::Value(plan_id::first(environment, &state)),
            None => Value::Unknown,
        };
        state.decision = Value::Unknown;
        state.checked_at = Value::Unknown;
        state.provider_guard = Value::Value(String::new());
        if state.requires_attestation() {
            plan_id::refuse_first_plan(diags);
        }
        if diags.errors.is_empty() {
            plan_checks(diags, &configured, &state, state.requires_attestation()).await;
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
        default_require_attestation(&mut state);
        state.id = state.environment.clone();
        // Turning attestation off is itself a change that needs one.
        let attested = state.requires_attestation() || prior_state.requires_attestation();
        let previous = known(&prior_state.plan_id).unwrap_or_default().to_string();
        let drawn = match &prior_private_state {
            Value::Value(private) => private.next_plan_id.clone().filter(|id| *id != previous),
            _ => None,
        };
        let id = self
            .plan_ids
            .settle(diags, &configured, &state, drawn, &previous, attested)
            .await;
        state.plan_id = Value::Value(id);
        state.decision = Value::Unknown;
        state.checked_at = Value::Unknown;
        state.provider_guard = Value::Value(String::new());
        let mut replace = Vec::new();
        if prior_state.environment != state.environment {
            replace.push(AttributePath::new("environment"));
        }
        if diags.errors.is_empty() {
            plan_checks(diags, &configured, &state, attested).await;
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
        plan_checks(diags, &configured, &prior_state, false).await;
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
        let (decision, at) = apply_checks(diags, &configured, None, &planned_state).await?;
        let mut state = planned_state;
        state.decision = Value::Value(decision);
        state.checked_at = Value::Value(at);
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
        match apply_checks(diags, &configured, Some(&prior_state), &planned_state).await {
            Some((decision, at)) => {
                let mut state = planned_state;
                state.decision = Value::Value(decision);
                state.checked_at = Value::Value(at);
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
