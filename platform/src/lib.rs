//! The platform checks live in `tests/`: they parse and exercise the Terraform
//! modules and root configurations, the Flux manifests and the CI workflows that
//! surround the provider and the auditor. The library itself is empty.
