variable "environment" {
  description = "The environment this state holds: `develop`, `staging` or `production`."
  type        = string

  validation {
    condition     = contains(["develop", "staging", "production"], var.environment)
    error_message = "environment must be develop, staging or production."
  }
}

variable "store_bucket" {
  description = "Bucket that holds locks, attestations and the audit trail."
  type        = string
}

variable "store_endpoint" {
  description = "S3 endpoint of the store. Null: `AWS_ENDPOINT_URL_S3`."
  type        = string
  default     = null
}

variable "attestation_public_keys" {
  description = "Ed25519 public keys (base64) of the auditor whose attestations the gate accepts."
  type        = list(string)
  default     = []
}

variable "break_glass" {
  description = "Emergency override of the window and the freeze (reason and incident ticket). Null in normal operation."
  type = object({
    reason = string
    ticket = string
  })
  default = null
}

variable "worker_count" {
  description = "How many stand-in worker nodes the cluster runs."
  type        = number
  default     = 1
}

variable "worker_server_type" {
  description = "Server type recorded on the stand-in workers; changing it replaces them."
  type        = string
  default     = "cx23"
}

variable "bootstrap_gate" {
  description = "Create the environment's gate without attestation, on its own (`-target=module.guardrails`): only for the first apply of an environment. Once the gate exists, turning attestation off needs an attested plan."
  type        = bool
  default     = false
}

variable "allow_clock_override" {
  description = "Honour GUARDRAIL_NOW in the guardrails (labs and tests only; tfaudit refuses to attest such plans, and a gate that requires attestation refuses them)."
  type        = bool
  default     = false
}
