//! `plan_id` reservations: a `plan_id` is drawn for one plan only.
//!
//! A gate draws a fresh `plan_id` in every refresh. The plan that uses it
//! reserves it with a conditional write (`If-None-Match`) under
//! `plan-ids/<environment>/<plan_id>.json`; a second plan that presents the same
//! id finds the reservation and is refused (it must plan again with refresh),
//! and an id that nobody reserved (one kept in state by `terraform apply
//! -refresh-only`, or written into state by hand) is refused at plan too.
//! The apply of a reserved plan finds its own reservation and passes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{ObjectStore, PutOutcome, StoreError};

/// `plan-ids/<environment>/<plan_id>.json`
pub fn reservation_key(environment: &str, plan_id: &str) -> String {
    format!("plan-ids/{environment}/{plan_id}.json")
}

/// Who drew a `plan_id`, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub environment: String,
    pub plan_id: String,
    pub who: String,
    pub at: DateTime<Utc>,
}

/// The outcome of [`reserve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserve {
    /// This plan is the only one with this id.
    First,
    /// Another plan reserved it already (its record, when readable).
    Taken(Option<Reservation>),
}

/// Reserves `reservation.plan_id` for one plan, atomically.
pub async fn reserve(
    store: &dyn ObjectStore,
    reservation: &Reservation,
) -> Result<Reserve, StoreError> {
    let key = reservation_key(&reservation.environment, &reservation.plan_id);
    let body = serde_json::to_vec_pretty(reservation).expect("a reservation serialises");
    match store.put_if_absent(&key, body).await? {
        PutOutcome::Written { .. } => Ok(Reserve::First),
        PutOutcome::PreconditionFailed => Ok(Reserve::Taken(
            find(store, &reservation.environment, &reservation.plan_id).await?,
        )),
    }
}

/// The reservation of a `plan_id`, if one was made.
pub async fn find(
    store: &dyn ObjectStore,
    environment: &str,
    plan_id: &str,
) -> Result<Option<Reservation>, StoreError> {
    Ok(store
        .get(&reservation_key(environment, plan_id))
        .await?
        .and_then(|object| serde_json::from_slice(&object.body).ok()))
}
