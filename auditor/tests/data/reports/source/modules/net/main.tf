resource "hcloud_network" "main" {
  name     = "main"
  ip_range = "10.0.0.0/8"
}

module "subnets" {
  source   = "./subnets"
  for_each = toset(["a", "b"])
}
