terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    hcloud = {
      source  = "hetznercloud/hcloud"
      version = "~> 1.52"
    }
    guardrail = {
      source  = "sre-control-plane/guardrail"
      version = "~> 0.1"
    }
  }
}
