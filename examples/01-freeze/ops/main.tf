# The on-call engineer's configuration: it freezes production while an incident is open.
terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    guardrail = {
      source  = "sre-control-plane/guardrail"
      version = "~> 0.1"
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
  reason      = "INC-4711: database failover in progress"
  owner       = "oncall-alice"
  ttl         = "2h"
}

output "lock_generation" {
  description = "Fencing number of the freeze."
  value       = guardrail_environment_lock.incident.generation
}
