#!/usr/bin/env bash
# Lab 16 (chapter 13): an on-call drill. The burn-rate alert pages after a release;
# its runbook says roll back; production is frozen for a database upgrade, so the
# rollback is stopped by the gate; break glass with a reason and a ticket passes and
# is recorded; afterwards the audit trail is verified and summarised, and a record
# removed to hide the break glass is caught.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
source "$GUARDRAIL_ROOT/scripts/lib/gitops-lab.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
# Its own S3 server: the drill verifies, then tampers with, production's whole trail.
start_local_r2 "$work/r2"
export GUARDRAIL_PYTHON="$GUARDRAIL_ROOT/.tools/venv/bin/python"
store=s3://guardrails/guardrail/
image=ghcr.io/stefanprodan/podinfo
alert=PodinfoErrorBudgetBurnFast
check="$GUARDRAIL_ROOT/skills/check-change-allowed/scripts/check.sh"
summary="$GUARDRAIL_ROOT/skills/incident-summary/scripts/summary.sh"
git_lab() { git -C "$work/repo" -c user.name=oncall-dave -c user.email=dave@example.org "$@"; }

# Yesterday's release: production runs 6.8.0.
gitops_copy "$work/repo"
git_lab init -q -b main
(cd "$work/repo" && bash "$GUARDRAIL_ROOT/scripts/promote.sh" "$image" 6.8.0 >/dev/null 2>&1)
git_lab add -A
git_lab commit -qm "Promote podinfo 6.8.0 to production"
cp -r "$here/freeze" "$work/"
(cd "$work/freeze" && terraform apply -auto-approve -no-color >/dev/null)

step "02:10, the page: $alert (critical), and what the alert is tested to mean"
rules="$work/repo/flux/infrastructure/configs/observability/rules/podinfo-slo.yaml"
run grep -A11 "alert: $alert" "$rules"
run policy alerts "$work/repo"
ok "the alert is unit-tested: it fires on an outage series and stays quiet on a healthy one"

step "the runbook it names: docs/runbooks/podinfo-availability.md"
run policy runbooks "$work/repo"
run sed -n '/^## Rollback/,/^```$/p' "$work/repo/docs/runbooks/podinfo-availability.md"
ok "a bad release: roll back to the previous promoted tag"

step "unsafe path: roll back at once; production is frozen for the database upgrade"
expect_failure "CHG-7310" bash "$check" --environment production --store "$store" --change "promote $image:6.7.1"

step "safe path: break glass, with the reason and the incident ticket"
run tfaudit gate --environment production --store "$store" --change "promote $image:6.7.1" \
  --break-glass-reason "roll back 6.8.0: error budget burning 14x" --ticket INC-7311 | tee "$work/gate.txt"
record="$(sed -n 's/^ *audit record: //p' "$work/gate.txt")"
[ -n "$record" ] || die "the gate printed no audit record"
(cd "$work/repo" && PROMOTE_GATE_RECORD="$record" PROMOTE_BREAK_GLASS_TICKET=INC-7311 \
  GIT_AUTHOR_NAME=oncall-dave GIT_AUTHOR_EMAIL=dave@example.org \
  GIT_COMMITTER_NAME=oncall-dave GIT_COMMITTER_EMAIL=dave@example.org \
  bash "$GUARDRAIL_ROOT/scripts/promote.sh" --commit "$image" 6.7.1 >/dev/null)
run git_lab log -1 --format=%B
grep -q '^Break-Glass-Ticket: INC-7311$' <<<"$(git_lab log -1 --format=%B)" || die "the rollback commit does not name the ticket"
ok "rolled back to 6.7.1; the commit names the gate record and the ticket"

step "afterwards: verify the audit trail and summarise it (incident-summary skill)"
run tfaudit state --guardrail-store "$store" --environment production --format text
bash "$summary" --environment production --store "$store" --alert "$alert" --root "$work/repo" | tee "$work/summary.md" | sed 's/^/    /'
grep -q 'allowed-break-glass | .* | INC-7311 |' "$work/summary.md" || die "the summary does not show the break glass with its ticket"
ok "the summary shows the denial, the break glass and its ticket"

step "unsafe path: the break-glass record is deleted to hide it"
"$GUARDRAIL_PYTHON" - "$record" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
s3.delete_object(Bucket="guardrails", Key="guardrail/" + sys.argv[1])
PY
expect_failure "trail/" tfaudit state --guardrail-store "$store" --environment production --format text
ok "the trail's hash chain gives the deletion away"
