# One environment's change policy: the blast-radius budget that tfaudit enforces on
# the plan, and the change gate that checks freeze, window and attestation at apply.

resource "guardrail_blast_radius_budget" "this" {
  environment     = var.environment
  max_destroy     = var.max_destroy
  max_replace     = var.max_replace
  max_changes     = var.max_changes
  protected_types = var.protected_types
  scope           = var.budget_scope
}

resource "guardrail_change_gate" "this" {
  environment         = var.environment
  require_attestation = var.require_attestation

  dynamic "change_window" {
    for_each = var.change_window == null ? [] : [var.change_window]
    content {
      timezone = change_window.value.timezone

      dynamic "allow" {
        for_each = change_window.value.allow
        content {
          days     = allow.value.days
          start    = allow.value.start
          end      = allow.value.end
          cron     = allow.value.cron
          duration = allow.value.duration
        }
      }

      dynamic "deny" {
        for_each = change_window.value.deny
        content {
          from   = deny.value.from
          to     = deny.value.to
          reason = deny.value.reason
        }
      }
    }
  }

  dynamic "break_glass" {
    for_each = var.break_glass == null ? [] : [var.break_glass]
    content {
      reason = break_glass.value.reason
      ticket = break_glass.value.ticket
    }
  }

  # The budget is part of the policy the gate enforces: declare it first.
  depends_on = [guardrail_blast_radius_budget.this]
}
