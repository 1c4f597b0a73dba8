output "gate_id" {
  description = "ID of the environment's change gate."
  value       = module.guardrails.gate_id
}

output "plan_id" {
  description = "The gate's plan_id, which tfaudit attests."
  value       = module.guardrails.plan_id
}

output "cluster_name" {
  description = "Name of the cluster."
  value       = module.cluster.cluster_name
}

output "kubeconfig" {
  description = "Administrator kubeconfig of the cluster."
  value       = module.cluster.kubeconfig
  sensitive   = true
}
