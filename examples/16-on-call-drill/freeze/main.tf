# The database team's maintenance freeze of production, set before the night's upgrade.
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

provider "guardrail" {
  environment = "production"
  store {
    bucket = var.store_bucket
  }
}

resource "guardrail_environment_lock" "incident" {
  environment = "production"
  reason      = "CHG-7310: database major upgrade, no deploys"
  owner       = "dba-carol"
  ttl         = "4h"
}

output "lock_generation" {
  description = "Fencing number of the freeze."
  value       = guardrail_environment_lock.incident.generation
}
