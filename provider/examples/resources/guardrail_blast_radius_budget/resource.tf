terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

# One change to the cluster may destroy at most one worker, and never a volume
# or the network. tfaudit enforces the budget on the plan JSON.
resource "guardrail_blast_radius_budget" "cluster" {
  environment     = "production"
  max_destroy     = 1
  max_replace     = 1
  max_changes     = 10
  protected_types = ["hcloud_volume", "hcloud_network"]
  scope           = ["module.cluster"]
}
