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
sunday_slot="2026-11-29T20:30:00+01:00"
# 07:30 UTC twice: 09:30 summer time in Berlin on Thursday, 08:30 winter time on
# Monday, after the clocks went back on Sunday 25 October.
before_dst_end="2026-10-22T07:30:00Z"
after_dst_end="2026-10-26T07:30:00Z"

step "unsafe path 1: planning on Friday evening"
expect_failure "2026-11-29T20:00:00+01:00" env GUARDRAIL_NOW="$friday_evening" terraform plan -no-color -input=false

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

step "safe path 2: the Sunday-evening maintenance slot (cron \"0 20 * * sun\", 2h)"
run env GUARDRAIL_NOW="$sunday_slot" terraform plan -no-color -input=false | grep -E 'Plan:'
ok "the cron window is open on Sunday at 20:30"

step "daylight saving: the window follows Berlin's clock, not UTC"
run env GUARDRAIL_NOW="$before_dst_end" terraform plan -no-color -input=false | grep -E 'Plan:'
ok "07:30 UTC on Thursday 22 October is 09:30 summer time: open"
expect_failure "2026-10-26T09:00:00+01:00" env GUARDRAIL_NOW="$after_dst_end" terraform plan -no-color -input=false
ok "07:30 UTC on Monday 26 October is 08:30 winter time: closed until 09:00"
