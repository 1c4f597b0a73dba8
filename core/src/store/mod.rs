//! The object store (Cloudflare R2 or any S3 API) that holds locks, attestations
//! and the audit trail, and the one way this workspace builds an S3 client.
//!
//! The folder holds:
//!
//! * [`config`]: where a store lives ([`StoreConfig`], `s3://BUCKET[/PREFIX]`
//!   URLs) and its [`StoreLocation`];
//! * [`error`]: [`StoreError`], the [`Condition`]s locks depend on, and the
//!   formatters of AWS SDK errors ([`describe_sdk_error`], [`describe_sdk_failure`]);
//! * [`object`]: the [`ObjectStore`] trait that locks, attestations, audit records
//!   and the change gate take, with the outcomes of its operations;
//! * [`connect`]: [`connect()`], which builds every S3 client (the store's, the
//!   state reader's, the state journal's);
//! * [`s3`]: [`Store`], the S3 implementation of [`ObjectStore`];
//! * [`probe`]: the check that an endpoint honours conditional writes.
//!
//! Files here import only from each other (in that order: `config` and
//! `connect` import no sibling, `error` imports `config`, `object` imports
//! `config` and `error`, `probe` imports `config`, `object` and `error`, `s3`
//! imports the rest) and from the AWS SDK; nothing outside the store.
//!
//! # Connection rules
//!
//! Every S3 client is built by [`connect()`], with these rules:
//!
//! * **Endpoint**: the explicit one (a `store` block's `endpoint`, `--endpoint`),
//!   else `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else the SDK's own
//!   resolution (AWS S3). Empty values count as unset.
//! * **Region**: the explicit one, else the user's configured region
//!   (`AWS_REGION`, then `AWS_DEFAULT_REGION`, then `region` in the profile that
//!   `AWS_PROFILE` selects from `AWS_CONFIG_FILE` or `~/.aws/config`), else
//!   `auto`, which is what R2 expects. An R2 profile says `auto`; an AWS profile
//!   names its bucket's region, and signing for another region would fail there.
//!   Instance metadata is never asked, so a run off EC2 never waits for it.
//! * **Credentials**: static ones when the caller has its own (the state journal's
//!   `TFAUDIT_JOURNAL_*`), else the standard AWS chain.
//! * **Wire**: path-style addressing unless the store asks otherwise, checksums
//!   only when an operation requires them (R2 refuses the SDK's default checksum
//!   trailers and `aws-chunked` bodies), a 5 s connect timeout and a 60 s
//!   operation timeout.
//!
//! # Conditional writes
//!
//! Every key of a [`Store`] is relative to its prefix (default `guardrail/`).
//! Locks depend on conditional writes: `If-None-Match: *` to create, `If-Match:
//! <etag>` to replace or delete. [`Store::verify_conditional_writes`] refuses endpoints
//! that ignore any of the three, naming which.
//!
//! May import: nothing else of the crate (the AWS SDK only).

pub mod config;
pub mod connect;
pub mod error;
pub mod object;
pub mod probe;
pub mod s3;

pub use config::{StoreConfig, StoreLocation};
pub use connect::{connect, S3Client, S3Settings, StaticCredentials, DEFAULT_REGION};
pub use error::{describe_sdk_error, describe_sdk_failure, Condition, StoreError};
pub use object::{DeleteOutcome, ObjectStore, PutOutcome, StoredObject};
pub use probe::CONDITIONAL_WRITE_PROBE;
pub use s3::Store;
