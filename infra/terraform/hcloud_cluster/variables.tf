variable "environment" {
  description = "The environment whose change gate guards the cluster. The one cluster carries production (and develop and staging as namespaces), so its changes pass production's gate; a per-environment cluster (README.md) sets its own environment."
  type        = string
  default     = "production"

  validation {
    condition     = contains(["develop", "staging", "production"], var.environment)
    error_message = "environment must be develop, staging or production."
  }
}

variable "cluster_name" {
  description = "Name of the cluster: prefixes its Hetzner resources, labels them `cluster=<name>` and names the kubeconfig context. `hetzner` matches the Flux entry flux/clusters/hetzner."
  type        = string
  default     = "hetzner"
}

variable "hcloud_token" {
  description = "Hetzner Cloud API token (read/write) of the cluster's project. Set TF_VAR_hcloud_token from the CI secret; never commit it."
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

variable "sops_age_key" {
  description = "The SOPS age private key (`AGE-SECRET-KEY-1...`) Flux decrypts secrets with; written once into the Secret `sops-age` (key `age.agekey`) in flux-system. Set TF_VAR_sops_age_key from the secret store; never commit it. Null in review plans."
  type        = string
  sensitive   = true
  default     = null

  validation {
    condition     = var.sops_age_key == null || startswith(coalesce(var.sops_age_key, "-"), "AGE-SECRET-KEY-1")
    error_message = "sops_age_key must be an age private key (it starts with AGE-SECRET-KEY-1)."
  }
}

variable "flux_git_url" {
  description = "The repository Flux syncs: `ssh://git@github.com/OWNER/REPO.git` with a deploy key, `https://github.com/OWNER/REPO.git` when it is public."
  type        = string
  default     = "ssh://git@github.com/sre-control-plane/guardrail.git"
}

variable "flux_git_branch" {
  description = "The branch Flux syncs."
  type        = string
  default     = "main"
}

variable "flux_sync_path" {
  description = "The folder of the repository Flux reconciles: the cluster's entry."
  type        = string
  default     = "flux/clusters/hetzner"
}

variable "flux_git_auth" {
  description = "How Flux authenticates to Git: `ssh-deploy-key` (a read-only deploy key, see docs/hetzner.md) or `none` (a public repository over HTTPS)."
  type        = string
  default     = "ssh-deploy-key"

  validation {
    condition     = contains(["ssh-deploy-key", "none"], var.flux_git_auth)
    error_message = "flux_git_auth must be ssh-deploy-key or none."
  }
}

variable "flux_git_ssh_private_key" {
  description = "Private half of the repository's read-only deploy key (OpenSSH format), written once into the Secret `flux-system`. Set TF_VAR_flux_git_ssh_private_key from the secret store; never commit it. Null in review plans."
  type        = string
  sensitive   = true
  default     = null
}

variable "flux_git_known_hosts" {
  description = "known_hosts line of the Git server Flux connects to over SSH. The default is github.com's Ed25519 host key as GitHub publishes it (docs.github.com, \"GitHub's SSH key fingerprints\")."
  type        = string
  default     = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
}
