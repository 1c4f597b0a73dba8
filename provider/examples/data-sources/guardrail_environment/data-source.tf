terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

provider "guardrail" {
  store {
    bucket = "guardrails"
  }
}

data "guardrail_environment" "production" {
  name = "production"
}

output "production_frozen" {
  value = data.guardrail_environment.production.locked
}

output "frozen_by" {
  value = data.guardrail_environment.production.lock_owner
}
