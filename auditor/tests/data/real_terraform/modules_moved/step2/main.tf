# count becomes for_each (moved per instance), both module lists grow, and a
# module instance is renamed.
moved {
  from = terraform_data.web[0]
  to   = terraform_data.web["blue"]
}
moved {
  from = terraform_data.web[1]
  to   = terraform_data.web["green"]
}
resource "terraform_data" "web" {
  for_each = toset(["blue", "green", "red"])
  input    = "web-${each.key}"
}

module "pool" {
  source = "./modules/pool"
  count  = 3
  label  = "pool-${count.index}"
}

moved {
  from = module.zones["a"]
  to   = module.regions["eu"]
}
module "regions" {
  source   = "./modules/pool"
  for_each = toset(["eu", "us"])
  label    = each.key == "eu" ? "zone-a" : "zone-${each.key}"
}
