#!/usr/bin/env bash
# Lab 01: a freeze in one configuration stops a gate's plan in another.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
cp -r "$here/ops" "$here/app" "$work/"

step "on-call freezes production (ops/)"
(cd "$work/ops" && run terraform apply -auto-approve -no-color | grep -E 'Apply complete|lock_generation')
ok "production is frozen"

step "unsafe path: a release is planned while production is frozen (app/)"
cd "$work/app"
expect_failure "INC-4711" terraform plan -no-color -input=false

step "emergency path: the database fix itself ships through the freeze with break glass"
run terraform apply -auto-approve -no-color -var release=v1.4.0-dbfix \
  -var 'break_glass_reason=apply the failover fix' -var break_glass_ticket=INC-4711 | grep -iE 'break.glass|Apply complete'
audit="$(s3_keys guardrails guardrail/audit/production/)"
printf '%s\n' "$audit" | sed 's/^/    audit record: /'
[ -n "$audit" ] || die "break glass left no audit record"
ok "break glass passed with a warning and left an audit record"
cd "$work"

step "safe path: the incident is over, on-call releases the freeze"
(cd "$work/ops" && run terraform destroy -auto-approve -no-color | grep -E 'Destroy complete')
ok "freeze released"

cd "$work/app"
run terraform apply -auto-approve -no-color | grep -E 'Apply complete'
ok "the release went out after the freeze"
