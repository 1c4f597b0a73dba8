# Production changes only inside business hours in Berlin or the Sunday-evening
# maintenance slot, never during the year-end blackout.
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

variable "node_image" {
  description = "The node image being rolled out."
  type        = string
  default     = "k3s-v1.31.4"
}

provider "guardrail" {
  environment = "production"
  # A lab: run.sh simulates the clock with GUARDRAIL_NOW. Never in a real configuration.
  allow_clock_override = true
  store {
    bucket = var.store_bucket
  }
}

resource "guardrail_change_gate" "production" {
  environment = "production"

  change_window {
    timezone = "Europe/Berlin"
    allow {
      days  = ["mon", "tue", "wed", "thu"]
      start = "09:00"
      end   = "17:00"
    }
    # The Sunday-evening maintenance slot, as a cron schedule in the same zone.
    allow {
      cron     = "0 20 * * sun"
      duration = "2h"
    }
    deny {
      from   = "2026-12-21T00:00:00"
      to     = "2027-01-04T00:00:00"
      reason = "year-end blackout"
    }
  }
}

resource "terraform_data" "node_pool" {
  input      = var.node_image
  depends_on = [guardrail_change_gate.production]
}
