# The shape of infra/terraform/hcloud_cluster with `terraform_data` standing in for
# the Hetzner resources, so the whole flow (R2-shaped backend, gate, budget, window,
# attestation) runs against a local S3 server.

provider "guardrail" {
  environment             = var.environment
  attestation_public_keys = var.attestation_public_keys
  allow_clock_override    = var.allow_clock_override

  store {
    bucket   = var.store_bucket
    endpoint = var.store_endpoint
  }
}

module "policies" {
  source = "../policies"
}

locals {
  policy       = module.policies.environments[var.environment]
  cluster_name = "platform-${var.environment}"
}

module "guardrails" {
  source = "../../../modules/guardrails"

  environment         = var.environment
  change_window       = local.policy.change_window
  max_destroy         = local.policy.max_destroy
  max_replace         = local.policy.max_replace
  max_changes         = local.policy.max_changes
  protected_types     = local.policy.protected_types
  require_attestation = local.policy.require_attestation && !var.bootstrap_gate
  break_glass         = var.break_glass
}

resource "terraform_data" "network" {
  input      = { name = local.cluster_name, zone = "eu-central", gate = module.guardrails.gate_id }
  depends_on = [module.guardrails]
}

resource "terraform_data" "control_plane" {
  input      = { name = "${local.cluster_name}-control-plane-0", server_type = "cx23", network = terraform_data.network.output.name }
  depends_on = [module.guardrails]
}

resource "terraform_data" "worker" {
  count = var.worker_count

  triggers_replace = [var.worker_server_type]
  input            = { name = "${local.cluster_name}-worker-${count.index}", server_type = var.worker_server_type, network = terraform_data.network.output.name }
  depends_on       = [module.guardrails]
}
