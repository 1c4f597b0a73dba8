//! Data sources: one module per data source.
//!
//! May import: `configured` (the configured store and clock handed to every data source), `schema_util`, `window_block`, `clock`, `lock_view`, `guardrail_core`; never `resources`.

pub mod change_window;
pub mod environment;
