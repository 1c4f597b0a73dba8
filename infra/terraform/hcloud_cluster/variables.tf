variable "environment" {
  description = "The environment this state holds: `develop`, `staging` or `production`."
  type        = string

  validation {
    condition     = contains(["develop", "staging", "production"], var.environment)
    error_message = "environment must be develop, staging or production."
  }
}

variable "hcloud_token" {
  description = "Hetzner Cloud API token of the environment's project. Set TF_VAR_hcloud_token from the CI secret; never commit it."
  type        = string
  sensitive   = true
}

variable "ssh_public_key" {
  description = "SSH public key installed on the nodes."
  type        = string
}

variable "ssh_private_key" {
  description = "SSH private key used while provisioning the nodes. Set TF_VAR_ssh_private_key from the CI secret; null if an SSH agent holds it."
  type        = string
  sensitive   = true
  default     = null
}

variable "store_bucket" {
  description = "R2 bucket that holds locks, attestations and the audit trail."
  type        = string
}

variable "store_endpoint" {
  description = "S3 endpoint of the store, such as `https://<account>.r2.cloudflarestorage.com`. Null: `AWS_ENDPOINT_URL_S3`."
  type        = string
  default     = null
}

variable "attestation_public_keys" {
  description = "Ed25519 public keys (base64) of the CI auditor whose attestations the gate accepts."
  type        = list(string)
  default     = []
}

variable "break_glass" {
  description = "Emergency override of the window and the freeze (reason and incident ticket). Null in normal operation; see docs/runbooks/break-glass-apply.md."
  type = object({
    reason = string
    ticket = string
  })
  default = null
}

variable "location" {
  description = "Hetzner location of the nodes."
  type        = string
  default     = "fsn1"
}

variable "worker_count" {
  description = "How many worker nodes the cluster runs."
  type        = number
  default     = 1
}

variable "worker_server_type" {
  description = "Server type of the worker nodes."
  type        = string
  default     = "cx23"
}

variable "control_plane_server_type" {
  description = "Server type of the control-plane node."
  type        = string
  default     = "cx23"
}

variable "bootstrap_gate" {
  description = "Create the environment's gate without attestation, on its own (`terraform apply -target=module.guardrails -var bootstrap_gate=true`): only for the first apply of an environment. Once the gate exists, turning attestation off needs an attested plan."
  type        = bool
  default     = false
}
