#!/usr/bin/env bash
# Review a Terraform plan with tfaudit, read-only, and print a verdict.
#
#   review-plan.sh PLAN [--store s3://BUCKET/PREFIX/] [--config FILE]
#
# PLAN is the JSON of `terraform show -json PLANFILE` (or a saved plan file).
# With --store, tfaudit reads (never writes) the live freezes of the environments
# the plan names. Attestation (--attest) is refused: it writes to the store.
# Exit: 0 may be applied after human review; 1 do not apply; 2 bad arguments.
set -euo pipefail

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ "$#" -ge 1 ] || usage
plan=""
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --store | --config) [ "$#" -ge 2 ] || usage; args+=("$1" "$2"); shift 2 ;;
    --attest | --attest=*) echo "review-plan: --attest signs and writes an attestation; this skill is review-only" >&2; exit 2 ;;
    -h | --help) usage ;;
    -*) echo "review-plan: unknown option $1" >&2; usage ;;
    *) [ -z "$plan" ] || usage; plan="$1"; shift ;;
  esac
done
[ -n "$plan" ] || usage
[ -f "$plan" ] || { echo "review-plan: $plan does not exist" >&2; exit 2; }

set +e
tfaudit plan "$plan" --format text "${args[@]}"
status=$?
set -e
case "$status" in
  0) echo "VERDICT: may be applied after human review (no finding at or above the fail threshold)" ;;
  1) echo "VERDICT: do not apply (see the findings above and references/findings.md)" ;;
  *) echo "review-plan: tfaudit could not read the plan (exit $status)" >&2; exit 2 ;;
esac
exit "$status"
