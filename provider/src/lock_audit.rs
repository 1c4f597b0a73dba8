//! The provider's lock operations together with their audit records
//! (`lock-acquire`, `lock-adopt`, `lock-release`), written beside the change
//! gate's decisions.
//!
//! Each operation runs to its end as one piece, through
//! [`transport::lock_operation`]: when Terraform goes away mid-request (which drops
//! the request's future), the store write still gets its audit record, and the
//! provider does not end before both are done.

use chrono::{DateTime, Utc};
use guardrail_core::audit_record::{self, AuditRecord};
use guardrail_core::lock::{
    Acquisition, LockError, LockRecord, LockRequest, Locks, ReleaseOutcome,
};
use guardrail_core::store::Store;
use tf_provider::Diagnostics;

use crate::clock::Clock;
use crate::transport;

/// What a lock operation did, and why its audit record is missing when it is.
pub struct Done<T> {
    pub outcome: Result<T, LockError>,
    pub audit_failure: Option<String>,
}

/// Why an adoption is recorded.
const ADOPTED: &str = "adopted: the same owner re-ran the configuration that took the lock, \
                       which an interrupted apply had not recorded in state";

/// Acquires (or adopts) the lock of `request` and records it. `None` when the
/// provider is ending because Terraform is gone (nothing was started).
pub async fn acquire(
    store: &Store,
    clock: &Clock,
    request: &LockRequest,
    now: DateTime<Utc>,
) -> Option<Done<Acquisition>> {
    if let Some(refused) = unusable_store(store).await {
        return Some(refused);
    }
    let (store, clock, request) = (store.clone(), clock.clone(), request.clone());
    transport::lock_operation(async move {
        let outcome = Locks::new(&store).acquire_or_adopt(&request, now).await;
        let audit_failure = match &outcome {
            Ok(Acquisition::Acquired(record)) => {
                let reasons = vec![record.reason.clone()];
                write(&store, &clock, audit_record::LOCK_ACQUIRE, record, reasons).await
            }
            Ok(Acquisition::Adopted(record)) => {
                let reasons = vec![record.reason.clone(), ADOPTED.to_string()];
                write(&store, &clock, audit_record::LOCK_ADOPT, record, reasons).await
            }
            Err(_) => None,
        };
        Done {
            outcome,
            audit_failure,
        }
    })
    .await
}

/// Releases the lock `lock_id` of `environment` and records it.
pub async fn release(
    store: &Store,
    clock: &Clock,
    environment: &str,
    lock_id: &str,
    now: DateTime<Utc>,
) -> Option<Done<ReleaseOutcome>> {
    if let Some(refused) = unusable_store(store).await {
        return Some(refused);
    }
    let (store, clock) = (store.clone(), clock.clone());
    let (environment, lock_id) = (environment.to_string(), lock_id.to_string());
    transport::lock_operation(async move {
        let outcome = Locks::new(&store)
            .release(&environment, &lock_id, now)
            .await;
        let audit_failure = match &outcome {
            Ok(ReleaseOutcome::Released(record)) => {
                let reasons = vec![record.reason.clone()];
                write(&store, &clock, audit_record::LOCK_RELEASE, record, reasons).await
            }
            _ => None,
        };
        Done {
            outcome,
            audit_failure,
        }
    })
    .await
}

/// The error diagnostic of a lock operation refused because Terraform is gone.
pub fn refuse_ending(diags: &mut Diagnostics) {
    diags.root_error(
        "The provider is shutting down",
        "Terraform is gone, so no lock operation starts: nothing would record it in the state.",
    );
}

/// A warning when a lock operation's audit record could not be written.
pub fn warn_unaudited(diags: &mut Diagnostics, failure: Option<String>) {
    if let Some(failure) = failure {
        diags.root_warning("Lock operation not in the audit trail", failure);
    }
}

/// Writes the audit record of a lock operation; on failure, what to tell.
async fn write(
    store: &Store,
    clock: &Clock,
    action: &str,
    record: &LockRecord,
    reasons: Vec<String>,
) -> Option<String> {
    let entry = AuditRecord::lock_operation(
        action,
        record,
        clock.now(),
        reasons,
        clock.override_record(),
    );
    audit_record::write(store, &entry).await.err().map(|error| {
        format!(
            "{action} of {} (generation {}) is done, but its audit record could not be written: {error}",
            record.environment, record.generation
        )
    })
}

/// The store's probe, before a lock operation: it is not part of the operation, so
/// a provider waiting on it has written nothing and may end at once when Terraform
/// goes away. `Some` when the store cannot hold locks.
async fn unusable_store<T>(store: &Store) -> Option<Done<T>> {
    let error = Locks::new(store).verify_store().await.err()?;
    Some(Done {
        outcome: Err(error),
        audit_failure: None,
    })
}
