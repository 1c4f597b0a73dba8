# Runs against the real provider and an S3 store with a bucket named `guardrails`
# (the one the labs use). The store's endpoint and credentials come from the
# standard AWS environment variables; the platform checks start a local S3 server
# for it.

variables {
  environment = "staging"
  max_destroy = 0
  max_replace = 1
  max_changes = 20
}

provider "guardrail" {
  environment = "staging"
  # A Tuesday, 11:00 in Berlin: inside the window the suite declares, whatever the
  # real clock says. A simulated clock is for tests, so the block allows it.
  allow_clock_override = true
  now                  = "2026-11-24T10:00:00Z"

  store {
    bucket = "guardrails"
  }
}

# The system clock: a gate that requires attestation refuses a simulated one.
provider "guardrail" {
  alias       = "system_clock"
  environment = "staging"

  store {
    bucket = "guardrails"
  }
}

run "declares_the_budget_and_the_gate" {
  command = plan

  # A gate that requires attestation cannot be created by an attested plan.
  variables {
    require_attestation = false
    protected_types     = ["hcloud_volume", "hcloud_network"]
    change_window = {
      timezone = "Europe/Berlin"
      allow    = [{ days = ["mon-thu"], start = "09:00", end = "16:00" }]
      deny     = [{ from = "2026-12-20", to = "2027-01-04", reason = "year-end freeze" }]
    }
  }

  assert {
    condition     = guardrail_blast_radius_budget.this.environment == "staging"
    error_message = "the budget must protect the module's environment"
  }

  assert {
    condition     = guardrail_blast_radius_budget.this.max_destroy == 0 && guardrail_blast_radius_budget.this.max_replace == 1 && guardrail_blast_radius_budget.this.max_changes == 20
    error_message = "the budget must carry the declared limits"
  }

  assert {
    condition     = toset(guardrail_blast_radius_budget.this.protected_types) == toset(["hcloud_volume", "hcloud_network"])
    error_message = "the budget must list the protected types"
  }

  assert {
    condition     = guardrail_change_gate.this.require_attestation == false
    error_message = "the module must pass require_attestation to the gate"
  }

  assert {
    condition     = length(guardrail_change_gate.this.change_window) == 1 && guardrail_change_gate.this.change_window[0].timezone == "Europe/Berlin"
    error_message = "the gate must carry the declared change window"
  }

  assert {
    condition     = length(guardrail_change_gate.this.change_window[0].deny) == 1 && guardrail_change_gate.this.change_window[0].deny[0].reason == "year-end freeze"
    error_message = "the gate must carry the declared blackout"
  }

  assert {
    condition     = length(guardrail_change_gate.this.break_glass) == 0
    error_message = "no break-glass override unless one is declared"
  }
}

run "an_open_gate_applies_and_exposes_its_outputs" {
  variables {
    require_attestation = false
  }

  assert {
    condition     = output.environment == "staging"
    error_message = "the environment output must name the protected environment"
  }

  assert {
    condition     = output.gate_id != null && output.gate_id != ""
    error_message = "the gate must have an ID that others can depend on"
  }

  assert {
    condition     = output.plan_id != null && output.plan_id != ""
    error_message = "the gate must expose the plan_id tfaudit attests"
  }

  assert {
    condition     = output.budget_id != null && output.budget_id != ""
    error_message = "the budget must have an ID"
  }
}

run "attestation_is_required_by_default" {
  command = plan

  providers = {
    guardrail = guardrail.system_clock
  }

  assert {
    condition     = guardrail_change_gate.this.require_attestation == true
    error_message = "attestation is required unless switched off"
  }
}

run "a_declared_break_glass_reaches_the_gate" {
  command = plan

  variables {
    require_attestation = false
    break_glass         = { reason = "restore ingress", ticket = "INC-1234" }
  }

  assert {
    condition     = length(guardrail_change_gate.this.break_glass) == 1 && guardrail_change_gate.this.break_glass[0].ticket == "INC-1234"
    error_message = "the gate must carry the break-glass reason and ticket"
  }
}

run "break_glass_needs_a_ticket" {
  command = plan

  variables {
    require_attestation = false
    break_glass         = { reason = "restore ingress", ticket = " " }
  }

  expect_failures = [var.break_glass]
}

run "budgets_cannot_be_negative" {
  command = plan

  variables {
    require_attestation = false
    max_destroy         = -1
  }

  expect_failures = [var.max_destroy]
}

run "environment_names_are_validated" {
  command = plan

  variables {
    require_attestation = false
    environment         = "Prod Env"
  }

  expect_failures = [var.environment]
}
