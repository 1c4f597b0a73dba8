# The control configuration's freeze of production for the night's maintenance,
# with its state in R2 like infra/terraform/guardrails. The lock itself lives in
# the guardrail store; Terraform only remembers that it set it.
terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }

  # Partial R2-shaped backend: bucket, key and endpoint come from -backend-config.
  backend "s3" {
    region                      = "auto"
    use_path_style              = true
    use_lockfile                = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
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

resource "guardrail_environment_lock" "maintenance" {
  environment = "production"
  reason      = "CHG-2210: storage maintenance tonight"
  owner       = "platform-oncall"
  ttl         = "8h"
}
