variable "rules" {
  type    = map(string)
  default = {}
}

/* A block comment with resource "hcloud_firewall" "commented" { } inside. */

resource "hcloud_firewall" "web" {
  for_each = var.rules
  name     = each.key
}
