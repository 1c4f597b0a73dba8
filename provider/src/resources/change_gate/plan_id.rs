//! The gate's `plan_id`: drawn for one plan only.
//!
//! Terraform plans every resource again right before applying it and requires
//! known values to stay the same, so `plan_id` cannot be drawn during planning.
//! Instead each refresh (the first step of every `terraform plan`) draws a new id
//! and keeps it in the gate's private state; the refreshed state is saved in the
//! plan file, so the plan and the apply of that plan see the same id.
//!
//! With attestation required, the plan that uses a freshly drawn id reserves it
//! in the store (`guardrail_core::gate::reservation`). The provider process
//! remembers which ids its own refreshes drew: an id it did not draw is either
//! the apply of a plan that reserved it (allowed) or an id that reached the plan
//! some other way, such as one kept in state by `terraform apply -refresh-only`
//! or written there by hand, which is refused. A plan without refresh has no
//! fresh id and is refused too. A gate that does not exist yet has no refresh:
//! its first `plan_id` is derived from its environment and configuration, shared
//! by every plan made before it exists, so such a gate cannot require
//! attestation in the plan that creates it.

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::Utc;
use guardrail_core::actor;
use guardrail_core::gate::reservation::{self, Reservation, Reserve};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tf_provider::{AttributePath, Diagnostics};

use super::GateState;
use crate::configured::Configured;

/// Namespace of the `plan_id`s derived without a refresh (uuid v5).
const PLAN_ID_NAMESPACE: uuid::Uuid = uuid::uuid!("6f0c8a52-3c1e-4d8e-9b7a-6a1f2d9c4e11");

/// Private state: the `plan_id` the next plan will use, drawn at refresh.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GatePrivate {
    #[serde(default)]
    pub next_plan_id: Option<String>,
}

/// The ids this provider process drew in its refreshes.
#[derive(Debug, Default)]
pub struct Drawn {
    ids: Mutex<HashSet<String>>,
}

fn derived(seed: &str) -> String {
    uuid::Uuid::new_v5(&PLAN_ID_NAMESPACE, seed.as_bytes()).to_string()
}

/// The first `plan_id` of a gate, derived from its environment and configuration.
pub fn first(environment: &str, state: &GateState) -> String {
    let config = (
        &state.environment,
        &state.change_window,
        &state.require_attestation,
        &state.break_glass,
    );
    let json = serde_json::to_vec(&config).unwrap_or_default();
    let digest = hex::encode(Sha256::digest(json));
    derived(&format!(
        "first plan of the gate of {environment} configured as {digest}"
    ))
}

/// The error for a plan that creates a gate requiring attestation.
pub fn refuse_first_plan(diags: &mut Diagnostics) {
    diags.error(
        "Gate created with require_attestation",
        "This gate does not exist yet, so it has no refresh to draw a plan_id for this plan: \
         its first plan_id is derived from its configuration and would be shared by every \
         plan made before the gate exists, so one plan's attestation could let another \
         through. Create the gate in an apply of its own with require_attestation = false \
         (terraform apply -target=<this gate's address>), then set require_attestation = \
         true: every later plan draws a plan_id of its own, and turning attestation off \
         again needs an attested plan.",
        AttributePath::new("require_attestation"),
    );
}

impl Drawn {
    /// Draws the id of the plan that follows this refresh.
    pub fn draw(&self) -> GatePrivate {
        let id = uuid::Uuid::new_v4().to_string();
        self.ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id.clone());
        GatePrivate {
            next_plan_id: Some(id),
        }
    }

    fn drew(&self, id: &str) -> bool {
        self.ids
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(id)
    }

    /// The `plan_id` of an update plan; with `attested`, reserved for this plan
    /// only (errors as diagnostics, the id is returned either way).
    pub async fn settle(
        &self,
        diags: &mut Diagnostics,
        configured: &Configured,
        state: &GateState,
        drawn: Option<String>,
        previous: &str,
        attested: bool,
    ) -> String {
        let without_refresh = || derived(&format!("plan after {previous}"));
        let refresh_again = "plan again with refresh (no -refresh=false), audit that plan with \
                             `tfaudit plan --attest`, and apply exactly that plan file";
        let Some(id) = drawn else {
            let message = "This plan was made without refreshing the gate (-refresh=false), so \
                           its plan_id is derived from the previous one and is the same for \
                           every such plan until the next apply.";
            if attested {
                diags.error(
                    "Plan without refresh",
                    format!("{message} A gate that requires attestation needs a plan_id of its own: {refresh_again}."),
                    AttributePath::new("plan_id"),
                );
            } else {
                diags.warning(
                    "Plan without refresh",
                    message,
                    AttributePath::new("plan_id"),
                );
            }
            return without_refresh();
        };
        if !attested {
            return id;
        }
        let Some(environment) = crate::schema_util::known(&state.environment) else {
            return id;
        };
        if configured.store_deferred() {
            diags.error(
                "Store unknown at plan",
                "A gate that requires attestation reserves its plan_id in the store when it \
                 plans, but the store's configuration is not known until apply.",
                AttributePath::new("plan_id"),
            );
            return id;
        }
        let Some(store) = configured.store(diags, "guardrail_change_gate") else {
            return id;
        };
        let outcome = if self.drew(&id) {
            let reservation = Reservation {
                environment: environment.to_string(),
                plan_id: id.clone(),
                who: actor::current(),
                at: Utc::now(),
            };
            match reservation::reserve(store, &reservation).await {
                Ok(Reserve::First) => Ok(()),
                Ok(Reserve::Taken(earlier)) => Err(format!(
                    "plan_id {id} was already drawn for another plan{}",
                    earlier
                        .map(|r| format!(" (by {} at {})", r.who, r.at.to_rfc3339()))
                        .unwrap_or_default()
                )),
                Err(error) => Err(format!("cannot reserve plan_id {id}: {error}")),
            }
        } else {
            // Not drawn by this process: the apply of a plan that reserved it, or
            // an id that reached the plan without a refresh drawing it.
            match reservation::find(store, environment, &id).await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => Err(format!(
                    "plan_id {id} was not drawn by this plan's refresh and no plan reserved it: \
                     it comes from the state (kept there by `terraform apply -refresh-only`, or \
                     written by hand) and may be shared by several plans"
                )),
                Err(error) => Err(format!(
                    "cannot read the reservation of plan_id {id}: {error}"
                )),
            }
        };
        if let Err(reason) = outcome {
            diags.error(
                "plan_id not drawn for this plan",
                format!("{reason}. A gate that requires attestation lets through only the plan its attestation was issued for: {refresh_again}."),
                AttributePath::new("plan_id"),
            );
        }
        id
    }
}
