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

output "ingress_public_ipv4" {
  description = "Public IPv4 address of the ingress load balancer (Traefik): point the demo DNS records here."
  value       = module.cluster.ingress_public_ipv4
}

output "flux_sync" {
  description = "What Flux reconciles: repository, branch and path."
  value = {
    url    = var.flux_git_url
    branch = var.flux_git_branch
    path   = var.flux_sync_path
  }
}
