# Root configuration used by the source-map tests.
terraform {
  required_version = ">= 1.5"
}

locals {
  # A heredoc that looks like a block must not be taken for one.
  motd = <<-EOT
    resource "hcloud_server" "fake" {
    }
  EOT
}

resource "hcloud_server" "web" {
  count = 2
  name  = "web-${count.index}"
}

data "hcloud_image" "base" {
  name = "debian-12"
}

module "net" {
  source = "./modules/net"
}

module "shared" {
  source = "../shared"
}

module "cluster" {
  source  = "kube-hetzner/kube-hetzner/hcloud"
  version = "2.0.0"
}

output "web_ips" {
  value = hcloud_server.web[*].ipv4_address
}
