terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

provider "guardrail" {
  environment = "staging"
  store {
    bucket   = "{{bucket}}"
    endpoint = "{{endpoint}}"
  }
}

resource "guardrail_change_gate" "staging" {
  environment = "staging"
}

resource "guardrail_blast_radius_budget" "app" {
  environment = "staging"
  max_destroy = 1
  scope       = ["module.app"]
}

module "app" {
  source = "./modules/pool"
  count  = 0
  label  = "app-${count.index}"
}

resource "terraform_data" "outside" {
  input      = "outside the budget's scope"
  depends_on = [guardrail_change_gate.staging]
}
