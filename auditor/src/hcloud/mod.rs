//! A small Hetzner Cloud API client: bearer token, `page`/`per_page` pagination
//! following `meta.pagination.next_page`, `label_selector`, the documented error
//! body `{"error":{"code","message"}}`, and bounded retries on 429 honouring the
//! `RateLimit-Reset` header. The token never appears in errors or logs.
//!
//! May import: nothing else of the crate.

pub mod client;
pub mod kinds;

pub use client::{Client, ClientOptions, HcloudError};
pub use kinds::{CloudObject, Kind, KINDS};

/// The public API's base URL.
pub const DEFAULT_ENDPOINT: &str = "https://api.hetzner.cloud/v1";
