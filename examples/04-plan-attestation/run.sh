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

step "bootstrap: the first rollout, gate included, goes through the audit too"
terraform plan -no-color -input=false -out=bootstrap.tfplan >/dev/null
terraform show -json bootstrap.tfplan > bootstrap.json
attest bootstrap.json
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

step "safe path: apply exactly the audited plan"
terraform plan -no-color -input=false -var replicas=3 -out=reviewed.tfplan >/dev/null
terraform show -json reviewed.tfplan > reviewed.json
attest reviewed.json
run terraform apply -no-color -input=false reviewed.tfplan | grep -E 'Apply complete'
[ "$(terraform output -raw replicas)" = 3 ] || die "the audited change was not applied"
ok "the audited plan was applied: 3 replicas"
