# A small configuration on the R2-shaped S3 backend. `terraform_data` stands in for
# cloud resources so the whole flow runs against the local S3 server.
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

variable "worker_count" {
  description = "How many worker nodes the cluster runs."
  type        = number
  default     = 3
}

variable "image" {
  description = "The OS image of the worker nodes; changing it replaces them."
  type        = string
  default     = "ubuntu-24.04"
}

variable "cluster_labels" {
  description = "Labels applied to the cluster."
  type        = map(string)
  default     = { team = "platform" }
}

resource "terraform_data" "worker" {
  count            = var.worker_count
  triggers_replace = [var.image]
  input            = { name = "worker-${count.index}", image = var.image }
}

resource "terraform_data" "cluster" {
  input = { labels = var.cluster_labels, workers = var.worker_count }
}

output "workers" {
  description = "Names of the worker nodes."
  value       = [for worker in terraform_data.worker : worker.output.name]
}
