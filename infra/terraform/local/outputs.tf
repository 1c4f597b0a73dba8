output "gate_id" {
  description = "ID of the environment's change gate."
  value       = module.guardrails.gate_id
}

output "plan_id" {
  description = "The gate's plan_id, which tfaudit attests."
  value       = module.guardrails.plan_id
}

output "cluster_name" {
  description = "Name of the stand-in cluster."
  value       = local.cluster_name
}

output "workers" {
  description = "Names of the stand-in worker nodes."
  value       = [for worker in terraform_data.worker : worker.output.name]
}
