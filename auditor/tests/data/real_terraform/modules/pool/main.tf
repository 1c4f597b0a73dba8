variable "label" {
  type = string
}

resource "terraform_data" "node" {
  input = var.label
}

output "label" {
  value = terraform_data.node.output
}
