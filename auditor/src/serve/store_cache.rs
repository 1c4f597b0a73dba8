//! The guardrail store as the advisor reads it: listed once per cycle (one
//! paginated listing of the store prefix), each object fetched only when its
//! ETag differs from the one it had when last fetched, and an object the
//! listing does not hold answered as missing without a request. It answers the
//! reads of locks, the trail and attestations ([`super::guardrail`]) and
//! refuses every write: the advisor never writes to the store.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use guardrail_core::store::{
    DeleteOutcome, ObjectStore, PutOutcome, S3Client, Store, StoreError, StoreLocation,
    StoredObject, CONDITIONAL_WRITE_PROBE,
};

use crate::state::source;

/// A read-only, incrementally read view of one store; clones share the cache.
#[derive(Debug, Clone)]
pub struct CachedStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    client: S3Client,
    /// Key (relative to the prefix) to ETag, as of the last [`CachedStore::refresh`].
    listing: RwLock<BTreeMap<String, String>>,
    /// Key to the ETag it was listed with when fetched, and the object.
    bodies: Mutex<HashMap<String, (String, StoredObject)>>,
    fetched: AtomicUsize,
}

impl CachedStore {
    /// A view of `store`, listed with `client` (same endpoint and credentials).
    pub fn new(store: Store, client: S3Client) -> CachedStore {
        CachedStore {
            inner: Arc::new(Inner {
                store,
                client,
                listing: RwLock::new(BTreeMap::new()),
                bodies: Mutex::new(HashMap::new()),
                fetched: AtomicUsize::new(0),
            }),
        }
    }

    pub fn bucket(&self) -> &str {
        self.inner.store.bucket()
    }

    pub fn prefix(&self) -> &str {
        self.inner.store.prefix()
    }

    /// Lists the store; forgets the objects no longer there. Returns how many
    /// objects it holds.
    pub async fn refresh(&self) -> Result<usize, String> {
        let prefix = self.prefix().to_owned();
        // Listed without the trailing `/` (keys outside the prefix are dropped
        // below): a one-level prefix then puts no encoded `/` in the query,
        // which servers that sign the query differently (moto with IAM) refuse.
        let listed = source::list_objects(
            &self.inner.client,
            self.bucket(),
            prefix.trim_end_matches('/'),
        )
        .await
        .map_err(|message| {
            format!(
                "{}: cannot list the guardrail store: {message}",
                crate::state::target::s3_url(self.bucket(), &prefix)
            )
        })?;
        let listing: BTreeMap<String, String> = listed
            .into_iter()
            .filter_map(|object| {
                let key = object.key.strip_prefix(prefix.as_str())?.to_owned();
                Some((key, object.etag))
            })
            .collect();
        let count = listing.len();
        if let Ok(mut bodies) = self.inner.bodies.lock() {
            bodies.retain(|key, (etag, _)| listing.get(key) == Some(etag));
        }
        if let Ok(mut guard) = self.inner.listing.write() {
            *guard = listing;
        }
        Ok(count)
    }

    /// Objects fetched since the last call.
    pub fn take_fetched(&self) -> usize {
        self.inner.fetched.swap(0, Ordering::Relaxed)
    }

    fn listed_etag(&self, key: &str) -> Option<String> {
        self.inner
            .listing
            .read()
            .ok()
            .and_then(|listing| listing.get(key).cloned())
    }

    fn refused(&self, operation: &'static str, key: &str) -> StoreError {
        StoreError::request(self.location(), operation, key, "the advisor is read-only")
    }
}

#[async_trait::async_trait]
impl ObjectStore for CachedStore {
    fn location(&self) -> &StoreLocation {
        self.inner.store.location()
    }

    fn shared(&self) -> Arc<dyn ObjectStore> {
        Arc::new(self.clone())
    }

    async fn get(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        let Some(etag) = self.listed_etag(key) else {
            return Ok(None);
        };
        if let Ok(bodies) = self.inner.bodies.lock() {
            if let Some((cached, object)) = bodies.get(key) {
                if *cached == etag {
                    return Ok(Some(object.clone()));
                }
            }
        }
        self.inner.fetched.fetch_add(1, Ordering::Relaxed);
        let object = self.inner.store.get(key).await?;
        if let (Some(object), Ok(mut bodies)) = (&object, self.inner.bodies.lock()) {
            bodies.insert(key.to_owned(), (etag, object.clone()));
        }
        Ok(object)
    }

    async fn put_if_absent(&self, key: &str, _body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        Err(self.refused("PutObject", key))
    }

    async fn put_if_match(
        &self,
        key: &str,
        _body: Vec<u8>,
        _etag: &str,
    ) -> Result<PutOutcome, StoreError> {
        Err(self.refused("PutObject", key))
    }

    async fn put(&self, key: &str, _body: Vec<u8>) -> Result<String, StoreError> {
        Err(self.refused("PutObject", key))
    }

    async fn delete_if_match(&self, key: &str, _etag: &str) -> Result<DeleteOutcome, StoreError> {
        Err(self.refused("DeleteObject", key))
    }

    /// The advisor never writes, so it has no conditional writes to check.
    async fn verify_conditional_writes(&self) -> Result<(), StoreError> {
        Err(self.refused("PutObject", CONDITIONAL_WRITE_PROBE))
    }

    async fn list(&self, key_prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .inner
            .listing
            .read()
            .map(|listing| {
                listing
                    .range(key_prefix.to_owned()..)
                    .take_while(|(key, _)| key.starts_with(key_prefix))
                    .map(|(key, _)| key.clone())
                    .collect()
            })
            .unwrap_or_default())
    }
}
