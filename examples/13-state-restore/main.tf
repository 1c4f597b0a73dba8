# A cluster's state on the R2-shaped S3 backend; `terraform_data` stands in for the
# servers and the network, which keep running whatever happens to the state.
terraform {
  required_version = ">= 1.10, < 2.0"

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

resource "terraform_data" "network" {
  input = { name = "cluster-net", ip_range = "10.0.0.0/16" }
}

resource "terraform_data" "worker" {
  count = 3
  input = { name = "worker-${count.index}", network = terraform_data.network.output.name }
}
