//! The head hint `audit-head/<environment>.json`: where a writer starts looking
//! for the end of the chain. It is best effort: a missing or stale head only
//! costs a writer a listing or a few slots, and it moves forward only.

use serde::{Deserialize, Serialize};

use super::{chained_key, digest};
use crate::store::{ObjectStore, PutOutcome, StoreError};

/// How often a writer tries to move the head forward when others move it too.
const ADVANCE_ATTEMPTS: u32 = 4;

/// The last record a writer appended, as it saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub environment: String,
    pub sequence: u64,
    /// The record's key, for people reading the object.
    pub key: String,
    /// `sha256:<hex>` of the record's stored bytes.
    pub digest: String,
}

/// `audit-head/<environment>.json`: outside `audit/<environment>/`, so that the
/// trail itself holds records only.
pub fn head_key(environment: &str) -> String {
    format!("audit-head/{environment}.json")
}

/// What a writer or the verifier read at [`head_key`].
#[derive(Debug, Clone, Default)]
pub(crate) struct HeadRead {
    pub head: Option<Head>,
    pub etag: Option<String>,
    /// The object exists but is not a head (or could not be read).
    pub unreadable: bool,
    /// Why it is unreadable.
    pub error: Option<String>,
}

/// Reads the head. A head that is not valid JSON for this environment is
/// reported as unreadable, not as an error.
pub(crate) async fn read(
    store: &dyn ObjectStore,
    environment: &str,
) -> Result<HeadRead, StoreError> {
    let Some(object) = store.get(&head_key(environment)).await? else {
        return Ok(HeadRead::default());
    };
    let unreadable = |error: String| HeadRead {
        unreadable: true,
        error: Some(error),
        etag: Some(object.etag.clone()),
        ..HeadRead::default()
    };
    Ok(match serde_json::from_slice::<Head>(&object.body) {
        Ok(head) if head.environment == environment && head.sequence > 0 => HeadRead {
            head: Some(head),
            etag: Some(object.etag.clone()),
            ..HeadRead::default()
        },
        Ok(head) => unreadable(format!(
            "it names sequence {} of environment `{}`",
            head.sequence, head.environment
        )),
        Err(error) => unreadable(error.to_string()),
    })
}

/// Moves the head to `sequence` unless it is already there or beyond. Failures
/// are logged, never returned: the record is written, the hint is optional.
pub(crate) async fn advance(
    store: &dyn ObjectStore,
    environment: &str,
    etag: Option<&str>,
    sequence: u64,
    body: &[u8],
) {
    let key = head_key(environment);
    let head = Head {
        environment: environment.to_string(),
        sequence,
        key: chained_key(environment, sequence),
        digest: digest(body),
    };
    let bytes = serde_json::to_vec_pretty(&head).expect("a head serialises");
    let mut etag = etag.map(str::to_owned);
    for _ in 0..ADVANCE_ATTEMPTS {
        let outcome = match &etag {
            None => store.put_if_absent(&key, bytes.clone()).await,
            Some(etag) => store.put_if_match(&key, bytes.clone(), etag).await,
        };
        match outcome {
            Ok(PutOutcome::Written { .. }) => return,
            Ok(PutOutcome::PreconditionFailed) => {
                let Ok(now) = read(store, environment).await else {
                    return;
                };
                match now.head {
                    Some(current) if current.sequence >= sequence => return,
                    Some(_) => etag = now.etag,
                    None if now.unreadable => return,
                    None => etag = None,
                }
            }
            Err(error) => {
                tracing::warn!(%key, %error, "could not move the audit trail's head");
                return;
            }
        }
    }
    tracing::debug!(%key, sequence, "the audit trail's head kept moving; left to other writers");
}
