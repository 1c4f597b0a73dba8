# A maintenance freeze and the work it protects, in one configuration on the
# R2-shaped backend. The rollout's provisioner is the lab's fault injector: with
# CHAOS_MARKER set, it kills the S3 server and hangs, as a runner does when its
# storage endpoint goes away mid-apply.
terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }

  # Partial configuration: bucket, key and endpoint come from -backend-config.
  backend "s3" {
    region                      = "auto"
    use_path_style              = true
    use_lockfile                = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
  }
}

provider "guardrail" {
  environment = "staging"
  store {
    bucket = "guardrails"
  }
}

resource "terraform_data" "network" {
  input = { name = "staging-net", ip_range = "10.1.0.0/16" }
}

resource "guardrail_environment_lock" "maintenance" {
  environment = "staging"
  reason      = "CHG-2201: node pool maintenance"
  owner       = "platform-maintenance"
  ttl         = "1h"
}

resource "terraform_data" "node_pool_rollout" {
  input      = { pool = "workers", image = "ubuntu-24.04" }
  depends_on = [guardrail_environment_lock.maintenance]

  provisioner "local-exec" {
    command = "if [ -n \"$CHAOS_MARKER\" ]; then kill -KILL \"$CHAOS_S3_PID\"; touch \"$CHAOS_MARKER\"; sleep 300; fi"
  }
}
