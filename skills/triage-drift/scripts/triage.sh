#!/usr/bin/env bash
# Triage drift with tfaudit, read-only.
#
#   triage.sh --refresh-plan REFRESH_PLAN_JSON
#   triage.sh --state s3://BUCKET/KEY [--hcloud-endpoint URL]   # HCLOUD_TOKEN set
#
# Exit: 0 no drift; 1 drift found; 2 bad arguments.
set -euo pipefail

usage() {
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

[ "$#" -ge 2 ] || usage
args=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --refresh-plan)
      [ "$#" -ge 2 ] || usage
      [ -f "$2" ] || { echo "triage: $2 does not exist" >&2; exit 2; }
      args+=("$1" "$2"); shift 2 ;;
    --state | --hcloud-endpoint) [ "$#" -ge 2 ] || usage; args+=("$1" "$2"); shift 2 ;;
    *) echo "triage: unexpected $1" >&2; usage ;;
  esac
done

set +e
tfaudit drift "${args[@]}" --format text
status=$?
set -e
case "$status" in
  0) echo "TRIAGE: no drift" ;;
  1) echo "TRIAGE: drift found; resolve it by a reviewed change (docs/runbooks/drift-alert.md)" ;;
  *) echo "triage: tfaudit drift failed (exit $status)" >&2; exit 2 ;;
esac
exit "$status"
