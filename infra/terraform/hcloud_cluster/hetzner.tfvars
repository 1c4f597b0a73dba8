# Non-secret settings of the one cluster. Secrets (hcloud_token, ssh_private_key,
# sops_age_key, flux_git_ssh_private_key, R2 credentials) come from the environment
# of the CI job, never from this file.
environment               = "production"
cluster_name              = "hetzner"
location                  = "fsn1"
control_plane_server_type = "cx23"
worker_server_type        = "cx23"
worker_count              = 1
flux_sync_path            = "flux/clusters/hetzner"
