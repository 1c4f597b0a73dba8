output "environment" {
  description = "The environment this policy protects."
  value       = guardrail_change_gate.this.environment
}

output "gate_id" {
  description = "ID of the change gate. Resources behind the gate `depends_on` the module (or take this value) so nothing changes before the gate passed."
  value       = guardrail_change_gate.this.id
}

output "plan_id" {
  description = "The gate's plan_id: what tfaudit signs an attestation for."
  value       = guardrail_change_gate.this.plan_id
}

output "decision" {
  description = "What the gate decided at its last check."
  value       = guardrail_change_gate.this.decision
}

output "budget_id" {
  description = "ID of the blast-radius budget."
  value       = guardrail_blast_radius_budget.this.id
}
