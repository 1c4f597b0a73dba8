//! The check that an endpoint honours the three conditional writes locks depend on.

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::config::StoreLocation;
use super::error::{Condition, StoreError};
use super::object::{DeleteOutcome, PutOutcome};

/// The condition of a write.
#[derive(Clone, Copy)]
pub(super) enum PutCondition<'a> {
    None,
    Absent,
    Matches(&'a str),
}

/// The writes of a store sent as they are, without the check of the endpoint:
/// what the probe itself writes with (a store's own conditional operations check
/// first, and would come back here).
#[async_trait::async_trait]
pub(super) trait UnverifiedWrites: Sync {
    fn location(&self) -> &StoreLocation;

    async fn put_unverified(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: PutCondition<'_>,
    ) -> Result<PutOutcome, StoreError>;

    async fn delete_unverified(&self, key: &str, etag: &str) -> Result<DeleteOutcome, StoreError>;
}

/// The probe object of [`verify_conditional_writes`], under the prefix.
pub const CONDITIONAL_WRITE_PROBE: &str = "probe/conditional-writes.json";

/// Stores (by location) this process found honouring every condition: every
/// conditional write of a [`Store`] waits for its store's entry here, so a
/// process probes each store once, before its first conditional write, and a
/// process that only reads never probes.
static VERIFIED: Mutex<BTreeSet<StoreLocation>> = Mutex::new(BTreeSet::new());

/// The entity tag no object ever has: a condition on it must fail.
const NO_SUCH_ETAG: &str = "\"00000000000000000000000000000000\"";

/// Checks that the endpoint honours the three conditions locks depend on, with
/// the probe object [`CONDITIONAL_WRITE_PROBE`], which stays in the store: a
/// create with `If-None-Match: *` over it, a write with `If-Match` on an ETag it
/// never had, and a delete with such an `If-Match` must all be refused. The
/// three requests are sent at once, so the check costs one round trip once the
/// probe exists. An endpoint that ignores any of them is refused, naming which;
/// an endpoint that cannot be reached is reported as unreachable. A store this
/// process already verified is not probed again.
pub(super) async fn verify_conditional_writes(
    store: &(impl UnverifiedWrites + ?Sized),
) -> Result<(), StoreError> {
    let verified = || {
        VERIFIED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    if verified().contains(store.location()) {
        return Ok(());
    }
    probe_conditional_writes(store).await?;
    verified().insert(store.location().clone());
    Ok(())
}

/// [`verify_conditional_writes`] without the process's memory: always sends the
/// probe requests.
pub(super) async fn probe_conditional_writes(
    store: &(impl UnverifiedWrites + ?Sized),
) -> Result<(), StoreError> {
    let body =
        b"{\"kept_by\":\"guardrail\",\"proves\":\"the store honours If-None-Match and If-Match\"}"
            .to_vec();
    loop {
        let (create, replace, delete) = tokio::join!(
            store.put_unverified(CONDITIONAL_WRITE_PROBE, body.clone(), PutCondition::Absent),
            store.put_unverified(
                CONDITIONAL_WRITE_PROBE,
                body.clone(),
                PutCondition::Matches(NO_SUCH_ETAG)
            ),
            store.delete_unverified(CONDITIONAL_WRITE_PROBE, NO_SUCH_ETAG),
        );
        let ignored = |condition, evidence| StoreError::ConditionalWritesIgnored {
            endpoint: store.location().endpoint_label().to_string(),
            condition,
            evidence,
        };
        // Each outcome is judged on its own: a probe that did not exist yet makes
        // the create succeed, so it is created and the create is tried once more.
        let create = create?;
        let replace = replace?;
        let delete = delete?;
        if let PutOutcome::Written { .. } = replace {
            return Err(ignored(
                Condition::PutIfMatch,
                "a write conditional on an ETag the object never had succeeded",
            ));
        }
        if delete == DeleteOutcome::Deleted {
            // The probe is gone now; put it back for the next check.
            let _ = store
                .put_unverified(CONDITIONAL_WRITE_PROBE, body, PutCondition::Absent)
                .await;
            return Err(ignored(
                Condition::DeleteIfMatch,
                "a delete conditional on an ETag the object never had succeeded",
            ));
        }
        if let PutOutcome::Written { .. } = create {
            if let PutOutcome::Written { .. } = store
                .put_unverified(CONDITIONAL_WRITE_PROBE, body.clone(), PutCondition::Absent)
                .await?
            {
                return Err(ignored(
                    Condition::PutIfNoneMatch,
                    "a second create of the same object succeeded",
                ));
            }
            // The probe was new: the If-Match checks ran before it existed, so
            // run them again on the object that now exists.
            continue;
        }
        return Ok(());
    }
}
