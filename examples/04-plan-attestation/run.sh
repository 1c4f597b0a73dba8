#!/usr/bin/env bash
# Lab 04: the gate applies only plans with a valid attestation for their plan_id.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
cp "$here/main.tf" "$work/"
cd "$work"

step "CI's signing key (the public half goes into the provider configuration)"
public_key="$(tfaudit keygen --out "$work/ci-signing-key.pem")"
ok "public key $public_key"
export TF_VAR_attestation_public_key="$public_key"
attest() { run tfaudit plan "$1" --attest --signing-key "$work/ci-signing-key.pem" --store s3://guardrails/guardrail/; }

store_url="s3://guardrails/guardrail/"
verify() { run tfaudit verify "$1" --store "$store_url" --public-key "$public_key"; }

step "unsafe path 0: a gate that requires attestation cannot be created by an attested plan"
expect_failure "Gate created with require_attestation" terraform plan -no-color -input=false

step "bootstrap: create the gate on its own, then every plan draws a plan_id of its own"
run terraform apply -no-color -input=false -auto-approve -target=guardrail_change_gate.production \
  -var require_attestation=false | grep -E 'Apply complete'

step "the first rollout goes through the audit"
terraform plan -no-color -input=false -out=bootstrap.tfplan >/dev/null
terraform show -json bootstrap.tfplan > bootstrap.json
attest bootstrap.json
verify bootstrap.tfplan
run terraform apply -no-color -input=false bootstrap.tfplan | grep -E 'Apply complete'

step "unsafe path 1: applying a plan nobody audited"
terraform plan -no-color -input=false -var replicas=3 -out=unaudited.tfplan >/dev/null
expect_failure "no attestation for plan_id" terraform apply -no-color -input=false unaudited.tfplan
[ "$(terraform output -raw replicas)" = 2 ] || die "the ingress changed without an attestation"
ok "nothing behind the gate changed: still 2 replicas"

step "unsafe path 2: audit one plan, apply another"
terraform plan -no-color -input=false -var replicas=3 -out=audited.tfplan >/dev/null
terraform show -json audited.tfplan > audited.json
attest audited.json
terraform plan -no-color -input=false -var replicas=4 -out=other.tfplan >/dev/null
expect_failure "no attestation for plan_id" terraform apply -no-color -input=false other.tfplan
[ "$(terraform output -raw replicas)" = 2 ] || die "a plan other than the audited one was applied"
ok "the attestation covers only the audited plan: still 2 replicas"

step "unsafe path 3: a plan_id kept in state by a refresh-only apply, shared by plans without refresh"
run terraform apply -no-color -input=false -auto-approve -refresh-only | grep -E 'Apply complete'
expect_failure "plan_id not drawn for this plan" \
  terraform plan -no-color -input=false -refresh=false -var replicas=99 -out=shared.tfplan
[ "$(terraform output -raw replicas)" = 2 ] || die "a plan without refresh got through"
ok "a plan_id is drawn for one plan only"

step "unsafe path 4: the plan file is swapped after the audit"
terraform plan -no-color -input=false -var replicas=3 -out=reviewed.tfplan >/dev/null
terraform show -json reviewed.tfplan > reviewed.json
attest reviewed.json
terraform plan -no-color -input=false -var replicas=5 -out=swapped.tfplan >/dev/null
cp reviewed.tfplan kept.tfplan
cp swapped.tfplan reviewed.tfplan
expect_failure "refused" tfaudit verify reviewed.tfplan --store "$store_url" --public-key "$public_key"
ok "the apply path stops before terraform apply: nothing changed"
cp kept.tfplan reviewed.tfplan

step "safe path: verify, then apply exactly the audited plan"
verify reviewed.tfplan
run terraform apply -no-color -input=false reviewed.tfplan | grep -E 'Apply complete'
[ "$(terraform output -raw replicas)" = 3 ] || die "the audited change was not applied"
ok "the audited plan was applied: 3 replicas"
