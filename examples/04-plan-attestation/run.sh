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
terraform init -input=false -no-color >/dev/null

step "unsafe path 1: applying a plan nobody audited"
terraform plan -no-color -input=false -out=unaudited.tfplan >/dev/null
expect_failure "attestation" terraform apply -no-color -input=false unaudited.tfplan
terraform state list | grep -q terraform_data.ingress && die "the ingress changed without an attestation"
ok "nothing behind the gate changed"

step "unsafe path 2: audit one plan, apply another"
terraform plan -no-color -input=false -out=audited.tfplan >/dev/null
terraform show -json audited.tfplan > audited.json
run tfaudit plan audited.json --attest --signing-key "$work/ci-signing-key.pem" --store s3://guardrails/guardrail/
terraform plan -no-color -input=false -var replicas=3 -out=other.tfplan >/dev/null
expect_failure "attestation" terraform apply -no-color -input=false other.tfplan

step "safe path: apply exactly the audited plan"
terraform plan -no-color -input=false -out=reviewed.tfplan >/dev/null
terraform show -json reviewed.tfplan > reviewed.json
run tfaudit plan reviewed.json --attest --signing-key "$work/ci-signing-key.pem" --store s3://guardrails/guardrail/
run terraform apply -no-color -input=false reviewed.tfplan | grep -E 'Apply complete'
ok "the audited plan was applied"
