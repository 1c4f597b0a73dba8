# The control configuration: freezes, change windows and blast-radius budgets of
# develop, staging and production. Changing any of them is a reviewed pull request.
#
# * Windows and budgets are declared once in ../policies. Every configuration that
#   changes an environment (../hcloud_cluster, ../local) builds that environment's
#   gate and budget from them through modules/guardrails, so tfaudit finds the budget
#   in the very plan it audits and the gate enforces the window at plan and apply.
# * Freezes are environment locks (freezes.tf). This configuration has no change gate
#   of its own: a freeze can be set or lifted at any time, also outside a window.

provider "guardrail" {
  store {
    bucket   = var.store_bucket
    endpoint = var.store_endpoint
  }
}

module "policies" {
  source = "../policies"
}

# Whether each environment's window is open right now, for people and dashboards.
data "guardrail_change_window" "environment" {
  for_each = { for name, policy in module.policies.environments : name => policy if policy.change_window != null }

  timezone = each.value.change_window.timezone

  dynamic "allow" {
    for_each = each.value.change_window.allow
    content {
      days     = try(allow.value.days, null)
      start    = try(allow.value.start, null)
      end      = try(allow.value.end, null)
      cron     = try(allow.value.cron, null)
      duration = try(allow.value.duration, null)
    }
  }

  dynamic "deny" {
    for_each = each.value.change_window.deny
    content {
      from   = deny.value.from
      to     = deny.value.to
      reason = try(deny.value.reason, null)
    }
  }
}
