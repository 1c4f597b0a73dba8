variable "environment" {
  description = "The environment this policy protects, such as `develop`, `staging` or `production`."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.environment))
    error_message = "environment must be lower-case letters, digits and dashes, starting with a letter (for example `production`)."
  }
}

variable "change_window" {
  description = <<-EOT
    When changes may be applied, in the shape of the gate's `change_window` block:
    `timezone` (IANA, default `UTC`), `allow` periods (weekly `days`/`start`/`end` or
    `cron`/`duration`) and dated `deny` blackouts (`from`, `to`, `reason`).
    Null: changes may be applied at any time (the freeze still applies).
  EOT
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

variable "max_destroy" {
  description = "How many resources one change may destroy. Null: no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_destroy == null || try(var.max_destroy >= 0, false)
    error_message = "max_destroy must be zero or more."
  }
}

variable "max_replace" {
  description = "How many resources one change may replace. Null: no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_replace == null || try(var.max_replace >= 0, false)
    error_message = "max_replace must be zero or more."
  }
}

variable "max_changes" {
  description = "How many resources one change may create, update, replace or destroy. Null: no limit."
  type        = number
  default     = null

  validation {
    condition     = var.max_changes == null || try(var.max_changes >= 0, false)
    error_message = "max_changes must be zero or more."
  }
}

variable "protected_types" {
  description = "Resource types that no change may destroy or replace, such as `hcloud_volume`."
  type        = list(string)
  default     = []
}

variable "budget_scope" {
  description = "Module address prefixes the budget covers, such as `module.cluster`. Null: the whole configuration."
  type        = list(string)
  default     = null
}

variable "require_attestation" {
  description = "Whether an apply needs a tfaudit attestation for the gate's plan_id."
  type        = bool
  default     = true
}

variable "break_glass" {
  description = "An emergency override of the window and the freeze: why, and the incident ticket. Null in normal operation."
  type = object({
    reason = string
    ticket = string
  })
  default = null

  validation {
    condition     = var.break_glass == null || try(length(trimspace(var.break_glass.reason)) > 0 && length(trimspace(var.break_glass.ticket)) > 0, false)
    error_message = "break_glass needs a non-empty reason and ticket."
  }
}
