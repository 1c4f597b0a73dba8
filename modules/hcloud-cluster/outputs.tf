output "hcloud_token" {
  description = "The Hetzner Cloud token, released through the change guard: configure the root's `hcloud` provider with it (`token = module.cluster.hcloud_token`), so that no Hetzner API call of the cluster happens before the gate has passed."
  value       = terraform_data.change_guard.output.gate_id == var.gate_id ? var.hcloud_token : null
  sensitive   = true
}

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
  description = "Administrator kubeconfig of the cluster (its context is named after the cluster), released through the change guard like `hcloud_token`."
  value       = terraform_data.change_guard.output.gate_id == var.gate_id ? module.kube_hetzner.kubeconfig : null
  sensitive   = true
}

output "kubeconfig_data" {
  description = "The kubeconfig as provider settings (`host`, `client_certificate`, `client_key`, `cluster_ca_certificate`), released through the change guard: configure the root's `helm` and `kubernetes` providers with it, so that nothing in the cluster changes before the gate has passed."
  value       = terraform_data.change_guard.output.gate_id == var.gate_id ? module.kube_hetzner.kubeconfig_data : null
  sensitive   = true
}

output "change_window_open" {
  description = "Whether the change window was open when this configuration was planned."
  value       = data.guardrail_change_window.this.open
}
