# The change policy of every environment, in one place. It creates nothing: the
# control configuration, the cluster and the local stand-in all read it, so a window
# or a budget cannot differ between them.

terraform {
  required_version = ">= 1.10, < 2.0"
}

locals {
  environments = {
    develop = {
      change_window       = null
      max_destroy         = 20
      max_replace         = 20
      max_changes         = 200
      protected_types     = []
      require_attestation = false
    }

    staging = {
      change_window = {
        timezone = "Europe/Berlin"
        allow    = [{ days = ["mon-thu"], start = "08:00", end = "18:00" }]
        deny     = []
      }
      max_destroy         = 3
      max_replace         = 5
      max_changes         = 50
      protected_types     = ["hcloud_volume"]
      require_attestation = true
    }

    production = {
      change_window = {
        timezone = "Europe/Berlin"
        allow    = [{ days = ["tue-thu"], start = "10:00", end = "15:00" }]
        deny = [
          { from = "2026-12-18", to = "2027-01-05", reason = "year-end freeze" },
        ]
      }
      max_destroy         = 0
      max_replace         = 1
      max_changes         = 15
      protected_types     = ["hcloud_volume", "hcloud_network", "hcloud_primary_ip", "hcloud_load_balancer"]
      require_attestation = true
    }
  }
}

output "environments" {
  description = "Change window, blast-radius budget and attestation requirement of each environment."
  value       = local.environments
}
