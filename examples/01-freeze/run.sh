#!/usr/bin/env bash
# Lab 01: a freeze in one configuration stops, in another, the audit of a saved
# plan, its apply and every new plan; break glass passes and leaves an audit record.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
cp -r "$here/ops" "$here/app" "$work/"

step "install the provider as a release: its zip in a filesystem mirror, hashes locked"
install_provider_from_release "$work"
for config in ops app; do
  (cd "$work/$config" &&
    terraform providers lock -no-color -fs-mirror="$GUARDRAIL_PROVIDER_MIRROR" -platform="$(terraform_platform)" >/dev/null &&
    terraform init -no-color -input=false >/dev/null) || die "terraform init of $config/ from the mirror failed"
done
read -r _ contents_hash _ < <("$GUARDRAIL_ROOT/.tools/venv/bin/python" "$GUARDRAIL_ROOT/scripts/package_release.py" \
  hashes --dist "$GUARDRAIL_PROVIDER_DIST")
grep -qF "\"$contents_hash\"" "$work/app/.terraform.lock.hcl" ||
  die ".terraform.lock.hcl does not record the hash of the release zip's contents ($contents_hash)"
ok "installed from the mirror; .terraform.lock.hcl records $contents_hash, the release zip's contents"

step "this morning: the release is planned, and the plan file waits for the pipeline (app/)"
cd "$work/app"
run terraform plan -no-color -input=false -out=release.tfplan | grep -E 'Plan:'
terraform show -json release.tfplan > release.json
cd "$work"

step "16:40: on-call freezes production (ops/)"
(cd "$work/ops" && run terraform apply -auto-approve -no-color | grep -E 'Apply complete|lock_generation')
ok "production is frozen"

cd "$work/app"
step "unsafe path 1: CI audits the saved release plan against the live freeze"
expect_failure "plan/environment-frozen" tfaudit plan release.json --store s3://guardrails/guardrail/ --format text

step "unsafe path 2: the pipeline applies the saved plan anyway"
expect_failure "INC-4711" terraform apply -no-color -input=false release.tfplan
resources="$(terraform state list)" || die "terraform state list failed: cannot tell what the refused apply changed"
if printf '%s\n' "$resources" | grep -q '^terraform_data.rollout$'; then
  die "the release rolled out although production is frozen"
fi
ok "the gate refused the apply: nothing behind it changed"

step "unsafe path 3: a fresh release plan while production is frozen"
expect_failure "INC-4711" terraform plan -no-color -input=false

step "emergency path: the database fix itself ships through the freeze with break glass"
run terraform apply -auto-approve -no-color -var release=v1.4.0-dbfix \
  -var 'break_glass_reason=apply the failover fix' -var break_glass_ticket=INC-4711 | grep -iE 'break.glass|Apply complete'
broken=""
for key in $(s3_keys guardrails guardrail/audit/production/); do
  # action, decision and break-glass ticket of the record
  read -r action decision ticket < <(s3_get guardrails "$key" | "$GUARDRAIL_ROOT/.tools/venv/bin/python" -c \
    'import json, sys; r = json.load(sys.stdin); print(r.get("action", "gate"), r["decision"] or "-", (r.get("break_glass") or {}).get("ticket", "-"))')
  printf '    audit record: %s (%s: %s, ticket %s)\n' "$key" "$action" "$decision" "$ticket"
  if [ "$decision" = allowed-break-glass ] && [ "$ticket" = INC-4711 ]; then broken="$key"; fi
done
[ -n "$broken" ] || die "break glass left no audit record naming INC-4711"
ok "break glass passed with a warning and left an audit record"
cd "$work"

step "safe path: the incident is over, on-call releases the freeze"
(cd "$work/ops" && run terraform destroy -auto-approve -no-color | grep -E 'Destroy complete')
ok "freeze released"

cd "$work/app"
run terraform apply -auto-approve -no-color | grep -E 'Apply complete'
ok "the release went out after the freeze"
