//! The platform checks: most live in `tests/`, where they parse and exercise the
//! Terraform modules and root configurations, the Flux manifests and the CI workflows
//! that surround the provider and the auditor. The checks a student or an operator
//! also runs by hand live here, behind the `platform-policy` command, so the tests
//! and the course's labs run the same code: the platform policy over the rendered
//! GitOps tree ([`policy`]) and the alerting checks ([`alerting`]).

pub mod alerting;
pub mod manifests;
pub mod policy;
