# The AI-proposed change, as it arrived in the pull request: "Refactor: rename
# terraform_data.worker to terraform_data.node for consistency with the module
# naming. No functional change." It looks harmless; the plan says otherwise.
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

variable "worker_count" {
  description = "Number of worker nodes."
  type        = number
  default     = 4
}

provider "guardrail" {
  environment = "production"
  store {
    bucket = var.store_bucket
  }
}

resource "guardrail_blast_radius_budget" "workers" {
  environment     = "production"
  max_destroy     = 1
  max_replace     = 1
  max_changes     = 10
  protected_types = ["hcloud_volume", "hcloud_network"]
}

resource "guardrail_change_gate" "production" {
  environment = "production"
}

resource "terraform_data" "node" {
  count      = var.worker_count
  input      = "worker-${count.index}"
  depends_on = [guardrail_change_gate.production]
}
