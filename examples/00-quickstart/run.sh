#!/usr/bin/env bash
# Plan a change on R2-shaped state and let tfaudit count what it does.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
cp "$here/main.tf" "$work/"
cd "$work"

step "terraform init with the S3 backend (region auto, path-style, use_lockfile)"
mapfile -t backend < <(backend_args "quickstart/terraform.tfstate")
run terraform init -input=false -no-color "${backend[@]}" >/dev/null
ok "initialised"

step "first apply: three workers on ubuntu-24.04"
run terraform apply -auto-approve -no-color | tail -n 3

step "the change under review: two workers on ubuntu-26.04, new labels"
plan_output="$(terraform plan -no-color -input=false -out=change.tfplan \
  -var worker_count=2 -var image=ubuntu-26.04 -var 'cluster_labels={team="platform",tier="gold"}')"
printf '%s\n' "$plan_output" | grep -E '^Plan:' | sed 's/^/    /'
terraform show -json change.tfplan > change.json
ok "saved change.tfplan and change.json"

step "tfaudit plan: what the change does"
set +e
run tfaudit plan change.json --format text --fail-on never
status=$?
set -e
[ "$status" -eq 0 ] || die "tfaudit plan exited $status"
summary="$(tfaudit plan change.json --format json --fail-on never)"
counts="$(printf '%s' "$summary" | "$GUARDRAIL_ROOT/.tools/venv/bin/python" -c '
import json, sys
c = json.load(sys.stdin)["summary"]["changes"]
print(c["create"] + c["replace"], c["update"], c["delete"] + c["replace"])')"
read -r add change destroy <<<"$counts"
expected="Plan: $add to add, $change to change, $destroy to destroy."
printf '%s\n' "$plan_output" | grep -qF "$expected" || die "tfaudit counts ($expected) disagree with terraform"
ok "tfaudit agrees with terraform: $expected"
