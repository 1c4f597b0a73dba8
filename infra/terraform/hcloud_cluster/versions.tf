terraform {
  required_version = ">= 1.10, < 2.0"

  required_providers {
    hcloud = {
      source  = "hetznercloud/hcloud"
      version = "~> 1.52"
    }
    guardrail = {
      source  = "sre-control-plane/guardrail"
      version = "~> 0.1"
    }
    # The Flux bootstrap (flux.tf), configured from the cluster's kubeconfig.
    helm = {
      source  = "hashicorp/helm"
      version = "~> 3.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 3.0"
    }
  }

  # Cloudflare R2 through its S3 API, one state for the one cluster. Partial
  # configuration: bucket, key (`hcloud_cluster/hetzner.tfstate`) and endpoint
  # come from `-backend-config`, credentials from AWS_ACCESS_KEY_ID and
  # AWS_SECRET_ACCESS_KEY. Nothing account-specific is committed.
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
