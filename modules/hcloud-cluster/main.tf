# A k3s cluster on Hetzner Cloud through kube-hetzner, behind the environment's
# change gate: nothing here is planned outside the change window, and nothing
# changes before the gate has passed.

data "guardrail_change_window" "this" {
  timezone = var.change_window == null ? "UTC" : var.change_window.timezone

  dynamic "allow" {
    for_each = var.change_window == null ? [] : var.change_window.allow
    content {
      days     = allow.value.days
      start    = allow.value.start
      end      = allow.value.end
      cron     = allow.value.cron
      duration = allow.value.duration
    }
  }

  dynamic "deny" {
    for_each = var.change_window == null ? [] : var.change_window.deny
    content {
      from   = deny.value.from
      to     = deny.value.to
      reason = deny.value.reason
    }
  }
}

# The anchor every cluster resource depends on. Its preconditions run on every plan.
resource "terraform_data" "change_guard" {
  input = {
    environment = var.environment
    gate_id     = var.gate_id
  }

  lifecycle {
    precondition {
      condition     = data.guardrail_change_window.this.open || var.break_glass_ticket != null
      error_message = "The ${var.environment} change window is closed (${coalesce(data.guardrail_change_window.this.reason, "outside every allowed period")}); it opens at ${coalesce(data.guardrail_change_window.this.opens_at, "an unknown time")}. Plan again inside the window, or set break_glass_ticket for an emergency change."
    }

    precondition {
      condition     = length(trimspace(var.gate_id)) > 0
      error_message = "The cluster needs the ${var.environment} change gate's ID in gate_id."
    }
  }
}

locals {
  control_plane_nodepools = [
    {
      name        = "control-plane-${var.location}"
      server_type = var.control_plane_server_type
      location    = var.location
      labels      = []
      taints      = []
      count       = var.control_plane_count
    },
  ]

  agent_nodepools = [
    {
      name        = "worker-${var.location}"
      server_type = var.worker_server_type
      location    = var.location
      labels      = []
      taints      = []
      count       = var.worker_count
    },
  ]
}

module "kube_hetzner" {
  source  = "kube-hetzner/kube-hetzner/hcloud"
  version = "2.18.4"

  providers = {
    hcloud = hcloud
  }

  hcloud_token               = var.hcloud_token
  cluster_name               = var.cluster_name
  network_region             = var.network_region
  ssh_public_key             = var.ssh_public_key
  ssh_private_key            = var.ssh_private_key
  ssh_additional_public_keys = var.ssh_additional_public_keys

  control_plane_nodepools = local.control_plane_nodepools
  agent_nodepools         = local.agent_nodepools

  load_balancer_type     = var.load_balancer_type
  load_balancer_location = var.location

  # Flux reconciles the workloads; the cluster ships only what it needs to boot.
  create_kubeconfig = false

  depends_on = [terraform_data.change_guard]
}
