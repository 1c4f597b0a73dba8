terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

provider "guardrail" {
  environment = "production"
  store {
    bucket = "guardrails"
  }
}

# Freeze production for two hours while an incident is open.
resource "guardrail_environment_lock" "incident" {
  environment = "production"
  reason      = "INC-4711: database failover in progress"
  owner       = "oncall-alice"
  ttl         = "2h"
}

output "freeze_generation" {
  value = guardrail_environment_lock.incident.generation
}
