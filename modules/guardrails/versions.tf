terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    guardrail = {
      source  = "sre-control-plane/guardrail"
      version = "~> 0.1"
    }
  }
}
