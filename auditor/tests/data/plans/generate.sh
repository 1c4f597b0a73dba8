#!/usr/bin/env bash
# Regenerates the plan JSON of the real-Terraform cases with the builtin
# `terraform_data` resource (no provider download, local state):
#   1. write the "before" configuration and apply it;
#   2. write the "after" configuration, `plan -out`, and `show -json` it into
#      <case>/plan.json.
# The hand-written cases (hcloud and guardrail shapes) are not touched.
# Usage: auditor/tests/data/plans/generate.sh   (needs terraform on PATH)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
terraform="${TERRAFORM:-terraform}"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null

run_case() {
  local name="$1" before="$2" after="$3" vars="${4:-}"
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  mkdir -p "$work/modules/pool"
  cat > "$work/modules/pool/main.tf" <<'EOF'
variable "label" { type = string }
resource "terraform_data" "node" {
  input = var.label
}
EOF
  printf '%s\n' "$before" > "$work/main.tf"
  printf '%s\n' "$vars" > "$work/terraform.tfvars"
  (cd "$work" && "$terraform" init -no-color >/dev/null && "$terraform" apply -auto-approve -no-color >/dev/null)
  printf '%s\n' "$after" > "$work/main.tf"
  (cd "$work" && "$terraform" init -no-color >/dev/null && "$terraform" plan -no-color -out=plan.bin > plan.txt)
  mkdir -p "$here/$name"
  (cd "$work" && "$terraform" show -json plan.bin) | python3 -m json.tool --indent 1 > "$here/$name/plan.json"
  grep -E '^Plan:|No changes' "$work/plan.txt" > "$here/$name/terraform-summary.txt" || true
  echo "generated $name: $(cat "$here/$name/terraform-summary.txt")"
}

# Every action Terraform plans for terraform_data: update, delete, both
# replacement orders, moved, removed (forget), count and for_each shrinking,
# a create, and a sensitive variable that also names a for_each instance.
lifecycle_before='
variable "db_password" {
  type      = string
  sensitive = true
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
resource "terraform_data" "secret_holder" { input = var.db_password }
resource "terraform_data" "by_secret" {
  for_each         = toset([nonsensitive(var.db_password)])
  triggers_replace = "x"
}
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
output "db_password" {
  value     = var.db_password
  sensitive = true
}
'
lifecycle_after='
variable "db_password" {
  type      = string
  sensitive = true
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
resource "terraform_data" "secret_holder" { input = "${var.db_password}-rotated" }
resource "terraform_data" "by_secret" {
  for_each         = toset([nonsensitive(var.db_password)])
  triggers_replace = "y"
}
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
output "admin_password" { value = "see-the-vault" }
output "pool_size" { value = 1 }
'
run_case lifecycle "$lifecycle_before" "$lifecycle_after" 'db_password = "Sup3r-S3cret-Passw0rd"'

# Nothing to do.
steady='resource "terraform_data" "keep" { input = "v1" }'
run_case no_changes "$steady" "$steady"

# Changes in three modules at once (correlated) and only creates.
spread_after='
module "a" {
  source = "./modules/pool"
  label  = "a"
}
module "b" {
  source = "./modules/pool"
  label  = "b"
}
module "c" {
  source = "./modules/pool"
  label  = "c"
}
'
run_case spread_modules "" "$spread_after"

# Imports: one object imported as it is, one imported and then updated.
imports_after='
import {
  to = terraform_data.adopted
  id = "existing-1"
}
import {
  to = terraform_data.adopted_and_changed
  id = "existing-2"
}
resource "terraform_data" "adopted" {}
resource "terraform_data" "adopted_and_changed" { input = "now managed" }
'
run_case imports "" "$imports_after"
