variable "environment" {
  description = "The environment the cluster belongs to; its change gate must be the one passed in `gate_id`."
  type        = string
}

variable "gate_id" {
  description = "ID of the environment's change gate (the `gate_id` output of the guardrails module). Every cluster resource waits for it."
  type        = string

  validation {
    condition     = length(trimspace(var.gate_id)) > 0
    error_message = "gate_id must be the ID of the environment's change gate."
  }
}

variable "change_window" {
  description = "The environment's change window, in the shape of the `guardrail_change_window` data source (`timezone`, `allow`, `deny`). Plans outside it stop before anything else is evaluated. Null: no window."
  type = object({
    timezone = optional(string, "UTC")
    allow = optional(list(object({
      days     = optional(list(string))
      start    = optional(string)
      end      = optional(string)
      cron     = optional(string)
      duration = optional(string)
    })), [])
    deny = optional(list(object({
      from   = string
      to     = string
      reason = optional(string)
    })), [])
  })
  default = null
}

variable "break_glass_ticket" {
  description = "Incident ticket that allows planning outside the change window. The change gate still records and checks the break-glass at apply. Null in normal operation."
  type        = string
  default     = null
}

variable "hcloud_token" {
  description = "Hetzner Cloud API token (read/write) for the cluster's project. Pass it through `TF_VAR_hcloud_token`; never commit it."
  type        = string
  sensitive   = true
}

variable "cluster_name" {
  description = "Name of the cluster; prefixes every Hetzner resource."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,32}$", var.cluster_name))
    error_message = "cluster_name must be 1-32 lower-case letters, digits or dashes."
  }
}

variable "network_region" {
  description = "Hetzner network zone of the private network: `eu-central` (fsn1, nbg1, hel1), `us-east` (ash) or `us-west` (hil)."
  type        = string
  default     = "eu-central"

  validation {
    condition     = contains(["eu-central", "us-east", "us-west", "ap-southeast"], var.network_region)
    error_message = "network_region must be one of eu-central, us-east, us-west, ap-southeast."
  }
}

variable "location" {
  description = "Hetzner location of the nodes and the load balancer, such as `fsn1`."
  type        = string
  default     = "fsn1"
}

variable "control_plane_server_type" {
  description = "Server type of the control-plane nodes."
  type        = string
  default     = "cx23"
}

variable "control_plane_count" {
  description = "How many control-plane nodes to run (1, or 3 and more for an HA etcd)."
  type        = number
  default     = 1

  validation {
    condition     = var.control_plane_count == 1 || var.control_plane_count >= 3
    error_message = "control_plane_count must be 1, or 3 and more (etcd needs a quorum)."
  }
}

variable "worker_server_type" {
  description = "Server type of the worker nodes."
  type        = string
  default     = "cx23"
}

variable "worker_count" {
  description = "How many worker nodes to run."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_count >= 0
    error_message = "worker_count must be zero or more."
  }
}

variable "ssh_public_key" {
  description = "SSH public key installed on every node (OpenSSH format)."
  type        = string
}

variable "ssh_private_key" {
  description = "SSH private key matching `ssh_public_key`, used while provisioning the nodes. Pass it through `TF_VAR_ssh_private_key`; null if an SSH agent holds it."
  type        = string
  sensitive   = true
  default     = null
}

variable "ssh_additional_public_keys" {
  description = "More SSH public keys allowed on the nodes (the on-call team)."
  type        = list(string)
  default     = []
}

variable "load_balancer_type" {
  description = "Hetzner load balancer type of the ingress."
  type        = string
  default     = "lb11"
}
