#!/usr/bin/env bash
# Lab 02: plans outside the change window are stopped; a saved plan audited or
# applied after the window closed fails at tfaudit and at the gate.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
cp "$here/main.tf" "$here/.tfaudit.toml" "$work/"
cd "$work"

friday_evening="2026-11-27T18:30:00+01:00"
thursday_before_close="2026-11-26T16:55:00+01:00"
thursday_after_close="2026-11-26T17:20:00+01:00"
blackout="2026-12-22T10:00:00+01:00"
tuesday_morning="2026-11-24T10:00:00+01:00"

step "unsafe path 1: planning on Friday evening"
expect_failure "2026-11-30T09:00:00+01:00" env GUARDRAIL_NOW="$friday_evening" terraform plan -no-color -input=false

step "unsafe path 2: planned at 16:55 on Thursday, audited and applied at 17:20"
run env GUARDRAIL_NOW="$thursday_before_close" terraform plan -no-color -input=false -out=late.tfplan | grep -E 'Plan:'
terraform show -json late.tfplan > late.json
expect_failure "plan/window-closed" env GUARDRAIL_NOW="$thursday_after_close" tfaudit plan late.json --format text
expect_failure "the change window is closed" env GUARDRAIL_NOW="$thursday_after_close" terraform apply -no-color -input=false late.tfplan
# `state list` fails when there is no state yet: an empty list is what we expect then.
if [ -e terraform.tfstate ]; then
  resources="$(terraform state list)" || die "terraform state list failed: cannot tell what the refused apply changed"
else
  resources=""
fi
if printf '%s\n' "$resources" | grep -q '^terraform_data.node_pool$'; then
  die "the node pool changed although the gate refused the apply"
fi
ok "nothing behind the gate changed"

step "unsafe path 3: planning during the year-end blackout"
expect_failure "year-end blackout" env GUARDRAIL_NOW="$blackout" terraform plan -no-color -input=false

step "safe path: Tuesday morning"
run env GUARDRAIL_NOW="$tuesday_morning" terraform plan -no-color -input=false -out=ok.tfplan | grep -E 'Plan:'
terraform show -json ok.tfplan > ok.json
run env GUARDRAIL_NOW="$tuesday_morning" tfaudit plan ok.json --format text
run env GUARDRAIL_NOW="$tuesday_morning" terraform apply -no-color -input=false ok.tfplan | grep -E 'Apply complete'
ok "the node pool was rolled out inside the window"
