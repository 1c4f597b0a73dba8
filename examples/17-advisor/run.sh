#!/usr/bin/env bash
# Scenario 17: the read-only advisor (`tfaudit serve`) watches state and the guardrail
# store; on-call freezes production; the advisor says why production is frozen, by
# whom and until when, and its metric shows the freeze.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
# Its own S3 server: in the demo, lab 05 leaves production frozen in the shared one.
start_local_r2 "$work/r2"
python="$GUARDRAIL_ROOT/.tools/venv/bin/python"
cp -r "$here/ops" "$work/"

advisor_pid=""
stop_advisor() {
  if [ -n "$advisor_pid" ]; then
    kill -KILL "$advisor_pid" 2>/dev/null || true
    wait "$advisor_pid" 2>/dev/null || true
    advisor_pid=""
  fi
}
trap 'stop_advisor; stop_local_r2' EXIT

ask() { # ask QUESTION: prints the answer and what it cites
  curl -sf -X POST -H 'Content-Type: application/json' \
    -d "$("$python" -c 'import json,sys; print(json.dumps({"question": sys.argv[1]}))' "$1")" \
    "http://$address/api/v1/ask" |
    "$python" -c 'import json,sys; a=json.load(sys.stdin); print(a["answer"]); [print("  cites", json.dumps(c)) for c in a.get("cites", [])]'
}
frozen_metric() {
  curl -sf "http://$address/metrics" | grep '^guardrail_advisor_environment_frozen{environment="production"}' || true
}

step "the production state in R2"
"$python" - "$here/../05-drift/state/cluster.tfstate" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
s3.put_object(Bucket="tfstate", Key="production/cluster.tfstate", Body=open(sys.argv[1], "rb").read())
PY
ok "uploaded production/cluster.tfstate"

step "the advisor starts: it reads the state bucket and the guardrail store, and writes nothing"
address="127.0.0.1:$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
show "tfaudit serve --target production=s3://tfstate/production/ --guardrail-store s3://guardrails/guardrail/ --interval 2s --listen $address"
tfaudit serve --target production=s3://tfstate/production/ --guardrail-store s3://guardrails/guardrail/ \
  --interval 2s --listen "$address" 2>"$work/advisor.log" &
advisor_pid=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://$address/readyz" && break; sleep 0.1; done
curl -sf -o /dev/null "http://$address/readyz" || die "the advisor is not ready (see $work/advisor.log)"
ok "ready after its first audit cycle: http://$address/"
ask "Why is production frozen?"

step "16:40: on-call freezes production (ops/)"
(cd "$work/ops" && run terraform init -no-color -input=false >/dev/null && run terraform apply -auto-approve -no-color | grep -E 'Apply complete')
ok "production is frozen"

step "the advisor's next cycle sees the freeze"
for _ in $(seq 100); do frozen_metric | grep -q ' 1$' && break; sleep 0.2; done
frozen_metric | grep -q ' 1$' || die "the advisor did not see the freeze"
show "curl http://$address/metrics | grep environment_frozen"
frozen_metric | sed 's/^/    /'
show "POST /api/v1/ask {\"question\": \"Why is production frozen?\"}"
answer="$(ask "Why is production frozen?")"
printf '%s\n' "$answer" | sed 's/^/    /'
printf '%s' "$answer" | grep -q "oncall-alice" || die "the answer does not name who froze production"
printf '%s' "$answer" | grep -q "INC-4711" || die "the answer does not say why"
ok "the advisor names who froze production, why and until when, citing the lock object"
show "POST /api/v1/ask {\"question\": \"Is it safe to apply to production now?\"}"
ask "Is it safe to apply to production now?" | sed 's/^/    /'

step "SIGTERM: the advisor stops at once, exit 0"
kill -TERM "$advisor_pid"
status=0
wait "$advisor_pid" || status=$?
advisor_pid=""
[ "$status" -eq 0 ] || die "the advisor exited $status"
ok "stopped"
