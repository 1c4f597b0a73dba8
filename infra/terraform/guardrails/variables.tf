variable "store_bucket" {
  description = "R2 bucket that holds locks, attestations and the audit trail."
  type        = string
}

variable "store_endpoint" {
  description = "S3 endpoint of the store, such as `https://<account>.r2.cloudflarestorage.com`. Null: `AWS_ENDPOINT_URL_S3`."
  type        = string
  default     = null
}
