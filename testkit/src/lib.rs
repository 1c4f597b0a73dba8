//! Test harness shared by every integration test of the workspace.
//!
//! * [`S3Server`] starts a real `moto_server` on a free loopback port with a fresh
//!   bucket: the local stand-in for Cloudflare R2. It is killed when dropped, even
//!   when the test panics.
//! * [`TerraformDir`] is a temporary Terraform working directory whose CLI
//!   configuration points `sre-control-plane/guardrail` at the freshly built
//!   provider through `dev_overrides`, and which runs the real `terraform` binary.
//! * [`tools`] locates the binaries the project set up (`make setup`) or built.

pub mod header_proxy;
mod s3_server;
mod terraform;
pub mod tools;

pub use s3_server::{S3Server, ACCESS_KEY_ID, SECRET_ACCESS_KEY};
pub use terraform::{r2_backend_block, TerraformDir, TfOutput};
