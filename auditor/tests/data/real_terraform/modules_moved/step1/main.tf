resource "terraform_data" "web" {
  count = 2
  input = "web-${count.index}"
}

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
