terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

variable "attestation_public_key" {
  description = "The CI auditor's ed25519 public key (base64 of the raw 32 bytes, or PEM)."
  type        = string
  default     = "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY="
}

# Credentials come from the standard AWS variables (AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY) or profile; for Cloudflare R2 use an R2 API token.
provider "guardrail" {
  environment = "production"

  store {
    bucket   = "guardrails"
    endpoint = "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"
  }

  attestation_public_keys = [var.attestation_public_key]
}
