output "policies" {
  description = "Change window, blast-radius budget and attestation requirement of each environment."
  value       = module.policies.environments
}

output "windows" {
  description = "For each environment with a change window: whether it is open now, and when it next opens or closes."
  value = {
    for name, window in data.guardrail_change_window.environment : name => {
      open      = window.open
      reason    = window.reason
      opens_at  = window.opens_at
      closes_at = window.closes_at
    }
  }
}

output "freezes" {
  description = "Environments frozen by this configuration, with the reason."
  value       = { for name, lock in guardrail_environment_lock.freeze : name => lock.reason }
}
