# A k3s cluster on Hetzner Cloud through kube-hetzner, behind the environment's
# change gate: nothing here is planned outside the change window, and nothing
# changes before the gate has passed.
#
# How the two halves are wired, and why:
#
# * The window is read by a data source that depends on nothing but the window's
#   declaration, so Terraform reads it while planning and the precondition below
#   stops a plan outside the window. The gate has a pending change on every plan (a
#   fresh `plan_id`), and Terraform defers to apply every data source that depends,
#   through `depends_on` (a module's `depends_on` reaches its whole module and the
#   target's own dependencies), on something with a pending change. Behind
#   `depends_on = [module.guardrails]` the window would be unknown at plan time and
#   the precondition could never stop a plan; kube-hetzner's image, network and
#   release lookups would be unknown too, and with them the servers' images.
#   Neither the caller nor this module may therefore use `depends_on` on the gate.
# * What changes waits for the gate through data flow instead: the gate's ID goes
#   into `terraform_data.change_guard`, and the Hetzner token reaches the `hcloud`
#   provider only through the guard (output `hcloud_token`; the root configures the
#   provider with it). Every Hetzner API call of the cluster, reads and changes
#   alike, thus runs after the guard, and the guard after the gate; a gate that
#   refuses at apply stops them all. The gate's ID is the environment, stable once
#   the gate exists, so in a normal plan the guard is a no-op, the token is known
#   and every data source is still read at plan time.

# Read at plan time: no depends_on, no reference to anything that changes.
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

# The anchor every cluster resource depends on. Its preconditions run on every plan,
# and again at apply (after the gate, whose ID it takes).
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

  # Add-ons, split with Flux so that nothing is installed twice: kube-hetzner's
  # Traefik stays the ingress controller (Flux installs none), and cert-manager
  # belongs to Flux (flux/infrastructure), so kube-hetzner's is off.
  ingress_controller  = "traefik"
  enable_cert_manager = false

  # Flux reconciles the workloads; the cluster ships only what it needs to boot.
  # The kubeconfig leaves the module as a sensitive output, never as a file.
  create_kubeconfig = false

  # No depends_on: the provider's token (output `hcloud_token`) orders every Hetzner
  # call after the guard without deferring kube-hetzner's data sources.
}
