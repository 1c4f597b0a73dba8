#!/usr/bin/env bash
# Lab 03: tfaudit stops a plan that destroys more than the declared budget.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
cp "$here/main.tf" "$work/"
cd "$work"

step "today: four workers"
run terraform apply -auto-approve -no-color | grep -E 'Apply complete'

step "unsafe path: the typo (worker_count = 1)"
terraform plan -no-color -input=false -var worker_count=1 -out=typo.tfplan | grep -E 'Plan:' | sed 's/^/    /'
terraform show -json typo.tfplan > typo.json
expect_failure "plan/budget-exceeded" tfaudit plan typo.json --format text

step "safe path: the intended change (worker_count = 3)"
terraform plan -no-color -input=false -var worker_count=3 -out=intended.tfplan | grep -E 'Plan:' | sed 's/^/    /'
terraform show -json intended.tfplan > intended.json
run tfaudit plan intended.json --format text
run terraform apply -no-color -input=false intended.tfplan | grep -E 'Apply complete'
ok "one worker removed, within the budget"
