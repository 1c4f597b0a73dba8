# The real cluster of one environment, behind that environment's change gate.

# The token reaches the provider through the cluster module's change guard, so every
# Hetzner API call waits for the gate (see modules/hcloud-cluster/main.tf).
provider "hcloud" {
  token = module.cluster.hcloud_token
}

provider "guardrail" {
  environment             = var.environment
  attestation_public_keys = var.attestation_public_keys

  store {
    bucket   = var.store_bucket
    endpoint = var.store_endpoint
  }
}

module "policies" {
  source = "../policies"
}

locals {
  policy = module.policies.environments[var.environment]
}

# The environment's gate: freeze, window and attestation are checked here at apply.
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

module "cluster" {
  source = "../../../modules/hcloud-cluster"

  environment        = var.environment
  gate_id            = module.guardrails.gate_id
  change_window      = local.policy.change_window
  break_glass_ticket = try(var.break_glass.ticket, null)

  hcloud_token    = var.hcloud_token
  cluster_name    = "platform-${var.environment}"
  network_region  = "eu-central"
  location        = var.location
  ssh_public_key  = var.ssh_public_key
  ssh_private_key = var.ssh_private_key

  control_plane_server_type = var.control_plane_server_type
  worker_server_type        = var.worker_server_type
  worker_count              = var.worker_count

  # No `depends_on = [module.guardrails]`: it would defer the window and every
  # data source of the cluster to apply on every plan. gate_id, and the provider's
  # token from module.cluster.hcloud_token, order every change after the gate.
}
