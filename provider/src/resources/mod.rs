//! Managed resources: one module per resource type.
//!
//! May import: `configured` (the configured store and clock handed to every resource), `schema_util`, `window_block`, `field_path`, `lock_audit`, `lock_view`, `clock`, `duration`, `guardrail_core`; never `data_sources`.

pub mod blast_radius_budget;
pub mod change_gate;
pub mod environment_lock;
