terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

variable "attestation_public_key" {
  description = "The CI auditor's ed25519 public key."
  type        = string
  default     = "WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY="
}

provider "guardrail" {
  environment             = "production"
  attestation_public_keys = [var.attestation_public_key]
  store {
    bucket = "guardrails"
  }
}

# Production changes: business hours in Berlin, never in the year-end blackout,
# and only plans that CI audited and signed.
resource "guardrail_change_gate" "production" {
  environment         = "production"
  require_attestation = true

  change_window {
    timezone = "Europe/Berlin"
    allow {
      days  = ["mon-thu"]
      start = "09:00"
      end   = "17:00"
    }
    deny {
      from   = "2026-12-21"
      to     = "2027-01-04"
      reason = "year-end blackout"
    }
  }
}

# Everything that changes production depends on the gate.
resource "terraform_data" "rollout" {
  input      = "v1.4.0"
  depends_on = [guardrail_change_gate.production]
}
