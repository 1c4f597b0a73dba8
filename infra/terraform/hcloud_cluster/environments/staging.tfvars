# Non-secret settings of the staging cluster. Secrets (hcloud_token, ssh_private_key,
# R2 credentials) come from the environment of the CI job, never from this file.
environment  = "staging"
location     = "fsn1"
worker_count = 1
