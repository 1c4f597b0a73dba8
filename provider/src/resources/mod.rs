//! Managed resources: one module per resource type.

pub mod blast_radius_budget;
pub mod change_gate;
pub mod environment_lock;
