//! `guardrail-core`: the vocabulary shared by the Terraform provider and `tfaudit`.
//!
//! * [`actor`]: who is acting, for every record (never `unknown`).
//! * [`duration`]: one grammar for every duration (`90s`, `15m`, `1h30m`, `2d`).
//! * [`environment`]: environment names, valid as S3 key segments.
//! * [`window`]: change windows (weekly or cron allows, dated blackouts) and their evaluation.
//! * [`digest`]: the one digest form, `sha256:<hex>`.
//! * [`budget`]: blast-radius budgets and how a change is counted against them.
//! * [`store`]: the object store trait, its S3 (Cloudflare R2) implementation with
//!   conditional writes, and the one builder of S3 clients.
//! * [`lock`]: environment locks (freezes) kept in the store, with fencing generations.
//! * [`attestation`]: signed plan attestations (ed25519), written by `tfaudit`, verified by the gate.
//! * [`audit_record`]: the change gate's audit trail.
//! * [`gate`]: the change gate's decision (freeze, window, attestation, break glass), for every caller.

pub mod actor;
pub mod attestation;
pub mod audit_record;
pub mod budget;
pub mod digest;
pub mod duration;
pub mod environment;
pub mod gate;
pub mod lock;
pub mod store;
pub mod window;
