terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

# Maintenance nights: Monday to Thursday from 22:00 to 02:00 (crossing midnight),
# plus Saturday mornings from a cron schedule, except during the release freeze.
data "guardrail_change_window" "maintenance" {
  timezone = "Europe/Berlin"

  allow {
    days  = ["mon-thu"]
    start = "22:00"
    end   = "02:00"
  }

  allow {
    cron     = "0 6 * * sat"
    duration = "3h"
  }

  deny {
    from   = "2026-12-21"
    to     = "2027-01-04"
    reason = "release freeze"
  }
}

output "maintenance_open" {
  value = data.guardrail_change_window.maintenance.open
}

output "next_opening" {
  value = data.guardrail_change_window.maintenance.opens_at
}
