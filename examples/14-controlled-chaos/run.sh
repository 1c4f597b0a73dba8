#!/usr/bin/env bash
# Lab 14 (chapter 11): fault injection. The S3 server is killed in the middle of an
# apply and the runner is killed too: the state lock is left behind, and the
# freeze the apply took is in the store but not in the state. A blind re-run is
# stopped by the state lock; the stuck-lock runbook (read the lock, `tfaudit lock
# status`, force-unlock, re-apply to adopt) recovers with nothing lost.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
# This lab kills and restarts its own S3 server: it never uses one it did not start.
# `durable` journals every acknowledged write, so the restarted server holds what the
# killed one held, as R2 would after an outage.
start_local_r2 "$work/r2" durable
store=s3://guardrails/guardrail/
key=chaos/staging.tfstate
mkdir -p "$work/cluster"
cp "$here/main.tf" "$work/cluster/"
cd "$work/cluster"
mapfile -t backend < <(backend_args "$key")
terraform init -input=false -no-color "${backend[@]}" >/dev/null

step "yesterday: the staging network is applied; its state is in the bucket"
run terraform apply -auto-approve -no-color -input=false -target=terraform_data.network | grep -E 'Apply complete'

step "fault injection: the S3 server is killed mid-apply, then the runner"
marker="$work/fault-injected"
CHAOS_MARKER="$marker" CHAOS_S3_PID="$GUARDRAIL_MOTO_PID" \
  setsid terraform apply -auto-approve -no-color -input=false >"$work/interrupted-apply.log" 2>&1 &
apply_pid=$!
for _ in $(seq 1 300); do
  [ -e "$marker" ] && break
  kill -0 "$apply_pid" 2>/dev/null || { cat "$work/interrupted-apply.log"; die "the apply ended before the fault"; }
  sleep 0.1
done
[ -e "$marker" ] || die "the fault was never injected (see $work/interrupted-apply.log)"
local_r2_gone || die "the S3 server is still running"
ok "the S3 server is killed (SIGKILL): the apply can write neither its state nor its lock release"
kill -KILL -- "-$apply_pid"
wait "$apply_pid" 2>/dev/null || true
ok "the runner is killed by its timeout (SIGKILL to its process group)"
restart_local_r2
ok "the S3 server is back on the same endpoint with every write it acknowledged"

step "unsafe path: re-run the apply blindly"
expect_failure "Error acquiring the state lock" terraform apply -auto-approve -no-color -input=false -lock-timeout=0s

step "runbook, diagnose: which lock? read it (docs/runbooks/stuck-lock.md)"
run s3_get tfstate "$key.tflock"
printf '\n'
lock_id="$(s3_get tfstate "$key.tflock" | "$GUARDRAIL_ROOT/.tools/venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["ID"])')"
# The lab runs in seconds; a real stuck lock is hours old. Let it age past the
# lab's one-second threshold (the default is 2h).
sleep 1.2
run tfaudit state "s3://tfstate/chaos/" --stale-lock-after 1s --fail-on never --format text | tee "$work/state-audit.txt"
grep -q "state/stale-lock .*lock $lock_id" "$work/state-audit.txt" || die "tfaudit state did not name the stuck lock (state/stale-lock)"
ok "tfaudit state names it: state/stale-lock, lock $lock_id"
run tfaudit lock status --environment staging --store "$store"
grep -q 'lock of staging: live' <<<"$(tfaudit lock status --environment staging --store "$store")" || die "expected the freeze to be live"
in_state="$(terraform state list)" || die "terraform state list failed"
if grep -q guardrail_environment_lock <<<"$in_state"; then
  die "the freeze is in the state: this is not an interrupted apply"
fi
ok "live freeze held by this configuration's owner, absent from its state: left by the interrupted apply"

step "runbook, mitigate: the run is gone, so unlock the state and re-run the same apply"
run terraform force-unlock -force "$lock_id"
run terraform apply -auto-approve -no-color -input=false | grep -E 'Adopted|Apply complete'
run terraform state list

step "nothing lost: the same freeze (same generation), the state whole, the trail intact"
run tfaudit lock status --environment staging --store "$store"
grep -qE 'generation: +1$' <<<"$(tfaudit lock status --environment staging --store "$store")" || die "the freeze's generation changed"
run tfaudit state "s3://tfstate/$key" --guardrail-store "$store" --format text
run terraform plan -no-color -input=false -detailed-exitcode | grep -E 'No changes'
ok "recovered: one freeze, generation 1, adopted; the rollout applied once; no findings"
