variable "db_password" {
  type      = string
  sensitive = true
  default   = "Hunter2-Real-Secret"
}

resource "terraform_data" "keep" { input = "v1" }
resource "terraform_data" "gone" { input = "bye" }
resource "terraform_data" "swap" { triggers_replace = "v1" }
resource "terraform_data" "swap_cbd" {
  triggers_replace = "v1"
  lifecycle { create_before_destroy = true }
}
resource "terraform_data" "renamed_old" { input = "same" }
resource "terraform_data" "forgotten" { input = "stays" }
resource "terraform_data" "holder" { input = var.db_password }

module "pool" {
  source = "./modules/pool"
  count  = 2
  label  = "pool-${count.index}"
}

module "zones" {
  source   = "./modules/pool"
  for_each = toset(["a", "b"])
  label    = "zone-${each.key}"
}
