//! Data sources: one module per data source.

pub mod change_window;
pub mod environment;
