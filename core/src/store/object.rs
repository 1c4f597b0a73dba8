//! [`ObjectStore`]: what locks, attestations, audit records and the change gate
//! ask of a store, and the outcomes of its operations.

use std::sync::Arc;

use super::config::StoreLocation;
use super::error::StoreError;

/// An object read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub body: Vec<u8>,
    /// The entity tag, as the server returned it (quoted).
    pub etag: String,
}

/// The outcome of a conditional write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PutOutcome {
    Written {
        etag: String,
    },
    /// The condition did not hold (HTTP 412): somebody else wrote first.
    PreconditionFailed,
}

/// The outcome of a conditional delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    /// The object changed, or does not exist (HTTP 412 or 404).
    PreconditionFailed,
}

/// A bucket and prefix holding JSON objects, with conditional writes. Keys are
/// relative to the prefix. Object safe: the core code takes `&dyn ObjectStore`.
#[async_trait::async_trait]
pub trait ObjectStore: std::fmt::Debug + Send + Sync {
    /// Bucket, prefix and endpoint, for messages and for the process's memory of
    /// stores that passed the conditional-write probe.
    fn location(&self) -> &StoreLocation;

    /// The same store behind a shared handle, for values that outlive the borrow
    /// (a [`crate::lock::Locks`] moved into a task).
    fn shared(&self) -> Arc<dyn ObjectStore>;

    /// Reads an object; `None` when it does not exist.
    async fn get(&self, key: &str) -> Result<Option<StoredObject>, StoreError>;

    /// Creates an object only if it does not exist (`If-None-Match: *`).
    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError>;

    /// Replaces an object only if its ETag is still `etag` (`If-Match`).
    async fn put_if_match(
        &self,
        key: &str,
        body: Vec<u8>,
        etag: &str,
    ) -> Result<PutOutcome, StoreError>;

    /// Writes an object unconditionally and returns its ETag.
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<String, StoreError>;

    /// Deletes an object only if its ETag is still `etag` (`If-Match` on DeleteObject).
    async fn delete_if_match(&self, key: &str, etag: &str) -> Result<DeleteOutcome, StoreError>;

    /// Every key under `key_prefix` (relative to the store prefix), sorted.
    async fn list(&self, key_prefix: &str) -> Result<Vec<String>, StoreError>;

    /// Checks, once per process, that the endpoint honours the conditional
    /// writes above; the conditional operations check it themselves first, so
    /// this is for callers that want the answer before they start.
    async fn verify_conditional_writes(&self) -> Result<(), StoreError>;
}
