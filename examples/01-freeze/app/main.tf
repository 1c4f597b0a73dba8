# A team's configuration: everything it changes sits behind the production gate.
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

variable "release" {
  description = "The application release to roll out."
  type        = string
  default     = "v1.4.0"
}

variable "break_glass_reason" {
  description = "Set only in an emergency: why this change must pass a freeze or a closed window."
  type        = string
  default     = ""
}

variable "break_glass_ticket" {
  description = "The incident or change ticket that authorises breaking the glass."
  type        = string
  default     = ""
}

provider "guardrail" {
  environment = "production"
  store {
    bucket = var.store_bucket
  }
}

resource "guardrail_change_gate" "production" {
  environment = "production"

  dynamic "break_glass" {
    for_each = var.break_glass_reason == "" ? [] : [var.break_glass_reason]
    content {
      reason = break_glass.value
      ticket = var.break_glass_ticket
    }
  }
}

resource "terraform_data" "rollout" {
  input      = var.release
  depends_on = [guardrail_change_gate.production]
}
