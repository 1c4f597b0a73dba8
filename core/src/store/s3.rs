//! [`Store`]: the S3 implementation of [`ObjectStore`], over a client from
//! [`connect()`](super::connect::connect).

use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;

use super::config::{StoreConfig, StoreLocation};
use super::connect::{connect, S3Client, S3Settings};
use super::error::StoreError;
use super::object::{DeleteOutcome, ObjectStore, PutOutcome, StoredObject};
use super::probe::{self, PutCondition, UnverifiedWrites};

/// A connected store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    client: aws_sdk_s3::Client,
    location: StoreLocation,
}

impl Store {
    /// Builds the store's client with [`connect()`](super::connect::connect):
    /// the standard AWS environment and profile chain, checksums only when
    /// required (R2 rejects the SDK's default trailers).
    pub async fn connect(config: &StoreConfig) -> Result<Store, StoreError> {
        if config.bucket.trim().is_empty() {
            return Err(StoreError::MissingBucket);
        }
        let client = connect(&S3Settings {
            endpoint: config.endpoint.clone(),
            region: config.region.clone(),
            path_style: config.use_path_style,
            credentials: None,
        })
        .await;
        Ok(Store::with_client(
            client,
            config.bucket.clone(),
            config.prefix.clone(),
        ))
    }

    /// A store at `bucket`/`prefix` over a client built by [`connect()`](super::connect::connect).
    pub fn with_client(client: S3Client, bucket: String, prefix: String) -> Store {
        let location = StoreLocation {
            bucket,
            prefix,
            endpoint: client.endpoint().map(str::to_owned),
        };
        Store {
            client: client.into_sdk(),
            location,
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.location.bucket
    }

    /// The key prefix (`guardrail/`).
    pub fn prefix(&self) -> &str {
        &self.location.prefix
    }

    /// The endpoint URL; `None` for the SDK's default (AWS S3).
    pub fn endpoint(&self) -> Option<&str> {
        self.location.endpoint.as_deref()
    }

    /// See [`probe::verify_conditional_writes`].
    pub async fn verify_conditional_writes(&self) -> Result<(), StoreError> {
        probe::verify_conditional_writes(self).await
    }

    /// See [`probe::probe_conditional_writes`].
    pub async fn probe_conditional_writes(&self) -> Result<(), StoreError> {
        probe::probe_conditional_writes(self).await
    }

    fn full_key(&self, key: &str) -> String {
        self.location.full_key(key)
    }
}

#[async_trait::async_trait]
impl ObjectStore for Store {
    fn location(&self) -> &StoreLocation {
        &self.location
    }

    fn shared(&self) -> Arc<dyn ObjectStore> {
        Arc::new(self.clone())
    }

    /// Reads an object; `None` when it does not exist.
    async fn get(&self, key: &str) -> Result<Option<StoredObject>, StoreError> {
        let result = self
            .client
            .get_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .send()
            .await;
        match result {
            Ok(output) => {
                let etag = output.e_tag().unwrap_or_default().to_string();
                let body = output
                    .body
                    .collect()
                    .await
                    .map_err(|e| {
                        StoreError::request(&self.location, "GetObject", key, e.to_string())
                    })?
                    .into_bytes()
                    .to_vec();
                Ok(Some(StoredObject { body, etag }))
            }
            Err(error) => {
                let service = error.as_service_error();
                let no_such_key = service.map(|e| e.is_no_such_key()).unwrap_or(false);
                let no_such_bucket = service
                    .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
                    == Some("NoSuchBucket");
                let not_found = error.raw_response().map(|r| r.status().as_u16()) == Some(404);
                let missing = no_such_key || (not_found && !no_such_bucket);
                if missing {
                    Ok(None)
                } else {
                    Err(StoreError::from_sdk(
                        &self.location,
                        "GetObject",
                        key,
                        error,
                    ))
                }
            }
        }
    }

    /// Creates an object only if it does not exist (`If-None-Match: *`), on an
    /// endpoint verified to honour conditional writes.
    async fn put_if_absent(&self, key: &str, body: Vec<u8>) -> Result<PutOutcome, StoreError> {
        self.verify_conditional_writes().await?;
        self.put_unverified(key, body, PutCondition::Absent).await
    }

    /// Replaces an object only if its ETag is still `etag` (`If-Match`).
    async fn put_if_match(
        &self,
        key: &str,
        body: Vec<u8>,
        etag: &str,
    ) -> Result<PutOutcome, StoreError> {
        self.verify_conditional_writes().await?;
        self.put_unverified(key, body, PutCondition::Matches(etag))
            .await
    }

    /// Writes an object unconditionally and returns its ETag.
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<String, StoreError> {
        match self.put_unverified(key, body, PutCondition::None).await? {
            PutOutcome::Written { etag } => Ok(etag),
            PutOutcome::PreconditionFailed => {
                unreachable!("an unconditional write has no precondition")
            }
        }
    }

    /// Deletes an object only if its ETag is still `etag` (`If-Match` on
    /// DeleteObject), on an endpoint verified to honour conditional writes.
    async fn delete_if_match(&self, key: &str, etag: &str) -> Result<DeleteOutcome, StoreError> {
        self.verify_conditional_writes().await?;
        self.delete_unverified(key, etag).await
    }

    /// Every key under `key_prefix` (relative to the store prefix), following pagination.
    async fn list(&self, key_prefix: &str) -> Result<Vec<String>, StoreError> {
        self.list_keys(key_prefix).await
    }

    async fn verify_conditional_writes(&self) -> Result<(), StoreError> {
        probe::verify_conditional_writes(self).await
    }
}

impl Store {
    async fn list_keys(&self, key_prefix: &str) -> Result<Vec<String>, StoreError> {
        let full_prefix = self.full_key(key_prefix);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(self.bucket())
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                StoreError::from_sdk(&self.location, "ListObjectsV2", key_prefix, e)
            })?;
            keys.extend(page.contents().iter().filter_map(|object| {
                object
                    .key()
                    .and_then(|k| k.strip_prefix(self.prefix()))
                    .map(str::to_owned)
            }));
        }
        keys.sort();
        Ok(keys)
    }
}

#[async_trait::async_trait]
impl UnverifiedWrites for Store {
    fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// A write with `condition`, sent as it is: the conditional operations of
    /// [`ObjectStore`] call it after their check of the endpoint, the probe
    /// without one.
    async fn put_unverified(
        &self,
        key: &str,
        body: Vec<u8>,
        condition: PutCondition<'_>,
    ) -> Result<PutOutcome, StoreError> {
        let mut request = self
            .client
            .put_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .content_type("application/json")
            .body(ByteStream::from(body));
        request = match condition {
            PutCondition::None => request,
            PutCondition::Absent => request.if_none_match("*"),
            PutCondition::Matches(etag) => request.if_match(etag),
        };
        match request.send().await {
            Ok(output) => Ok(PutOutcome::Written {
                etag: output.e_tag().unwrap_or_default().to_string(),
            }),
            Err(error) => {
                let status = error.raw_response().map(|r| r.status().as_u16());
                // 412 Precondition Failed; R2 and S3 may answer 409 ConditionalRequestConflict
                // when two conditional writes race.
                let refused = match condition {
                    PutCondition::Absent => matches!(status, Some(412) | Some(409)),
                    // AWS S3 answers 404 to If-Match on a key that does not exist.
                    PutCondition::Matches(_) => matches!(status, Some(412) | Some(409) | Some(404)),
                    PutCondition::None => false,
                };
                if refused {
                    Ok(PutOutcome::PreconditionFailed)
                } else {
                    Err(StoreError::from_sdk(
                        &self.location,
                        "PutObject",
                        key,
                        error,
                    ))
                }
            }
        }
    }

    /// [`ObjectStore::delete_if_match`] without the check of the endpoint (what the
    /// probe deletes with).
    async fn delete_unverified(&self, key: &str, etag: &str) -> Result<DeleteOutcome, StoreError> {
        let result = self
            .client
            .delete_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .if_match(etag)
            .send()
            .await;
        match result {
            Ok(_) => Ok(DeleteOutcome::Deleted),
            Err(error) => {
                let status = error.raw_response().map(|r| r.status().as_u16());
                if matches!(status, Some(412) | Some(409) | Some(404)) {
                    Ok(DeleteOutcome::PreconditionFailed)
                } else {
                    Err(StoreError::from_sdk(
                        &self.location,
                        "DeleteObject",
                        key,
                        error,
                    ))
                }
            }
        }
    }
}
