resource "hcloud_network_subnet" "this" {
  network_id   = 1
  type         = "cloud"
  network_zone = "eu-central"
  ip_range     = "10.0.1.0/24"
}
