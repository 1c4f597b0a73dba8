#!/usr/bin/env bash
# Lab 05: tfaudit finds what changed behind Terraform's back: a stale state lock,
# resources resized, deleted or created by hand in the cloud, and a freeze removed
# from the store by hand (found by a Terraform refresh-only plan).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
python="$GUARDRAIL_ROOT/.tools/venv/bin/python"

fake_pid=""
stop_fake() {
  if [ -n "$fake_pid" ]; then
    kill -KILL "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
    fake_pid=""
  fi
}
trap 'stop_fake; stop_local_r2' EXIT

# start_fake CLOUD_JSON: the Hetzner Cloud API as the console left it.
start_fake() {
  stop_fake
  rm -f "$work/hcloud.port"
  "$python" "$here/fake_hcloud.py" "$1" "$HCLOUD_TOKEN" "$work/hcloud.port" &
  fake_pid=$!
  for _ in $(seq 100); do [ -s "$work/hcloud.port" ] && break; sleep 0.05; done
  [ -s "$work/hcloud.port" ] || die "the local Hetzner Cloud API did not start"
  hcloud_endpoint="http://127.0.0.1:$(cat "$work/hcloud.port")/v1"
}

s3_put() { # s3_put BUCKET KEY FILE
  "$python" - "$@" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
s3.put_object(Bucket=sys.argv[1], Key=sys.argv[2], Body=open(sys.argv[3], "rb").read())
PY
}
s3_delete() { # s3_delete BUCKET KEY
  "$python" - "$@" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
s3.delete_object(Bucket=sys.argv[1], Key=sys.argv[2])
PY
}

export HCLOUD_TOKEN="lab-token-$RANDOM$RANDOM"
state_key="production/cluster.tfstate"

step "the production state in R2, and the lock an interrupted apply left behind five hours ago"
s3_put tfstate "$state_key" "$here/state/cluster.tfstate"
created="$(date -u -d '5 hours ago' +%Y-%m-%dT%H:%M:%S.000000000Z)"
cat > "$work/stale.tflock" <<LOCK
{"ID":"5b1c2f0e-7d41-4f3a-9a52-0c9e6b1d8e77","Operation":"OperationTypeApply","Info":"","Who":"runner@ci-4711","Version":"1.11.4","Created":"$created","Path":"tfstate/$state_key"}
LOCK
s3_put tfstate "$state_key.tflock" "$work/stale.tflock"
ok "uploaded $state_key and $state_key.tflock"

step "unsafe path 1: nobody notices the stale lock until the next urgent apply hangs"
expect_failure "state/stale-lock" tfaudit state "s3://tfstate/production/" --fail-on medium

step "unsafe path 2: the console was used: a node resized, an agent and its volume deleted, an orphan left running"
start_fake "$here/cloud/drifted.json"
drift() { tfaudit drift --state "s3://tfstate/$state_key" --hcloud-endpoint "$hcloud_endpoint" --label-selector cluster=prod; }
expect_failure "drift/unmanaged" drift
output="$(drift 2>&1 || true)"
for rule in drift/changed drift/missing drift/unmanaged; do
  printf '%s' "$output" | grep -q "$rule" || die "tfaudit drift did not report $rule"
done
printf '%s' "$output" | grep -qF "$HCLOUD_TOKEN" && die "the API token leaked into the output"
ok "changed, missing and unmanaged resources reported; the token never printed"

step "the night's maintenance freeze, set through Terraform (freeze/, state in R2)"
cp -r "$here/freeze" "$work/"
cd "$work/freeze"
mapfile -t backend < <(backend_args guardrails/control.tfstate)
run terraform init -no-color -input=false "${backend[@]}" | grep -E 'successfully initialized'
run terraform apply -auto-approve -no-color -input=false | grep -E 'Apply complete'
ok "production is frozen for the maintenance"

step "unsafe path 3: someone deletes the freeze's lock object in the bucket to push a hotfix"
s3_delete guardrails guardrail/locks/production.json
# A refresh-only plan asks the provider what is really there and changes nothing.
run terraform plan -refresh-only -no-color -input=false -out=refresh.tfplan | grep -E 'Objects have changed|has been deleted|No changes'
terraform show -json refresh.tfplan > refresh.json
expect_failure "drift/missing" env -u HCLOUD_TOKEN tfaudit drift --refresh-plan refresh.json
# The audit trail remembers the freeze the bucket no longer holds.
expect_failure "trail/lock-rolled-back" tfaudit state --guardrail-store s3://guardrails/guardrail/ --environment production
cd "$work"

step "safe path: the runbook: confirm no apply runs, clear the lock, reconcile the cloud, restore the freeze"
s3_delete tfstate "$state_key.tflock"
start_fake "$here/cloud/reconciled.json"
run tfaudit state "s3://tfstate/production/" --fail-on medium
run drift
cd "$work/freeze"
run terraform apply -auto-approve -no-color -input=false | grep -E 'Apply complete'
run terraform plan -refresh-only -no-color -input=false -out=refresh.tfplan | grep -E 'No changes|Objects have changed'
terraform show -json refresh.tfplan > refresh.json
run env -u HCLOUD_TOKEN tfaudit drift --refresh-plan refresh.json
ok "state healthy, the cloud matches it again, and the freeze is back"
