variable "db_password" {
  type      = string
  sensitive = true
  default   = "Hunter2-Real-Secret"
}

resource "terraform_data" "keep" { input = "v2" }
resource "terraform_data" "swap" { triggers_replace = "v2" }
resource "terraform_data" "swap_cbd" {
  triggers_replace = "v2"
  lifecycle { create_before_destroy = true }
}

moved {
  from = terraform_data.renamed_old
  to   = terraform_data.renamed_new
}
resource "terraform_data" "renamed_new" { input = "same" }

removed {
  from = terraform_data.forgotten
  lifecycle { destroy = false }
}

import {
  to = terraform_data.adopted
  id = "adopted-1"
}
resource "terraform_data" "adopted" {}

resource "terraform_data" "holder" { input = "${var.db_password}-rotated" }
resource "terraform_data" "fresh" { input = "new" }

module "pool" {
  source = "./modules/pool"
  count  = 1
  label  = "pool-${count.index}"
}

module "zones" {
  source   = "./modules/pool"
  for_each = toset(["a"])
  label    = "zone-${each.key}"
}

output "db_password" {
  value     = var.db_password
  sensitive = true
}

output "api_token" {
  value = "not-marked-sensitive"
}
