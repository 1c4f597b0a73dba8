# The platform's one cluster: a k3s cluster on Hetzner Cloud whose environments are
# namespaces (develop, staging, production, plus observability and flux-system),
# reconciled by Flux from flux/clusters/hetzner. It carries production, so every
# change to it passes production's change gate: freeze, window, attestation and
# blast-radius budget. The Flux bootstrap (flux.tf) sits behind the same gate.
#
# One cluster per environment is still possible (see README.md, "One cluster per
# environment"); it is not the default.

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

# The gate of the environment the cluster answers to: freeze, window and
# attestation are checked here at apply.
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
  cluster_name    = var.cluster_name
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
