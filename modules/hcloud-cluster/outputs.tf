output "cluster_name" {
  description = "Name of the cluster."
  value       = module.kube_hetzner.cluster_name
}

output "network_id" {
  description = "ID of the cluster's private network."
  value       = module.kube_hetzner.network_id
}

output "control_planes_public_ipv4" {
  description = "Public IPv4 addresses of the control-plane nodes."
  value       = module.kube_hetzner.control_planes_public_ipv4
}

output "ingress_public_ipv4" {
  description = "Public IPv4 address of the ingress load balancer."
  value       = module.kube_hetzner.ingress_public_ipv4
}

output "kubeconfig" {
  description = "Administrator kubeconfig of the cluster."
  value       = module.kube_hetzner.kubeconfig
  sensitive   = true
}

output "change_window_open" {
  description = "Whether the change window was open when this configuration was planned."
  value       = data.guardrail_change_window.this.open
}
