# Production applies only plans that tfaudit audited and signed.
terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

variable "store_bucket" {
  description = "Bucket that holds locks, attestations and the audit trail."
  type        = string
  default     = "guardrails"
}

variable "attestation_public_key" {
  description = "The CI auditor's ed25519 public key (base64)."
  type        = string
}

variable "require_attestation" {
  description = "Whether applies need an attestation; false only for the apply that creates the gate."
  type        = bool
  default     = true
}

variable "replicas" {
  description = "Replicas of the ingress controller."
  type        = number
  default     = 2
}

provider "guardrail" {
  environment             = "production"
  attestation_public_keys = [var.attestation_public_key]
  store {
    bucket = var.store_bucket
  }
}

resource "guardrail_change_gate" "production" {
  environment         = "production"
  require_attestation = var.require_attestation
}

resource "terraform_data" "ingress" {
  input      = { replicas = var.replicas }
  depends_on = [guardrail_change_gate.production]
}

output "replicas" {
  description = "Replicas of the ingress controller as applied."
  value       = terraform_data.ingress.output.replicas
}
