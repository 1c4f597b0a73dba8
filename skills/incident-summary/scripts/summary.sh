#!/usr/bin/env bash
# An incident summary from the runbooks and the guardrail audit trail, read-only.
#
#   summary.sh --environment ENV --store s3://BUCKET/PREFIX/ [--alert NAME] [--root DIR]
#
# DIR is the repository checkout holding docs/runbooks (default: the current
# directory). Prints Markdown. Exit: 0 summary written and the trail verified;
# 1 the trail has findings (tampering: treat as an incident); 2 bad arguments.
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

environment=""
store=""
alert=""
root="."
while [ "$#" -gt 0 ]; do
  case "$1" in
    --environment) [ "$#" -ge 2 ] || usage; environment="$2"; shift 2 ;;
    --store) [ "$#" -ge 2 ] || usage; store="$2"; shift 2 ;;
    --alert) [ "$#" -ge 2 ] || usage; alert="$2"; shift 2 ;;
    --root) [ "$#" -ge 2 ] || usage; root="$2"; shift 2 ;;
    *) echo "summary: unexpected $1" >&2; usage ;;
  esac
done
case "$environment" in
  develop | staging | production) ;;
  *) echo "summary: --environment must be develop, staging or production" >&2; usage ;;
esac
case "$store" in
  s3://?*) ;;
  *) echo "summary: --store must be s3://BUCKET/PREFIX/" >&2; usage ;;
esac
[ -f "$root/docs/runbooks/README.md" ] || { echo "summary: $root has no docs/runbooks/README.md" >&2; exit 2; }
python="${GUARDRAIL_PYTHON:-python3}"

echo "# Incident summary: $environment"
echo
if [ -n "$alert" ]; then
  runbook="$(grep -F "\`$alert\`" "$root/docs/runbooks/README.md" | sed -n 's/.*(\([a-z0-9-]*\.md\)).*/\1/p' | head -n 1)"
  [ -n "$runbook" ] || { echo "summary: no runbook lists the alert $alert" >&2; exit 2; }
  echo "## Alert"
  echo
  echo "\`$alert\`: runbook [docs/runbooks/$runbook](docs/runbooks/$runbook), sections:"
  grep -E '^## ' "$root/docs/runbooks/$runbook" | sed 's/^## /- /'
  echo
fi

echo "## Freeze"
echo
echo '```'
tfaudit lock status --environment "$environment" --store "$store"
echo '```'
echo

echo "## Audit trail"
echo
echo '```'
set +e
tfaudit state --guardrail-store "$store" --environment "$environment" --format text
trail=$?
set -e
echo '```'
[ "$trail" -le 1 ] || { echo "summary: tfaudit state could not read the trail (exit $trail)" >&2; exit 2; }
echo
echo "| at | action | decision | who | ticket | reasons |"
echo "| --- | --- | --- | --- | --- | --- |"
"$python" - "$store" "$environment" <<'PY'
import json, os, sys
import boto3

store, environment = sys.argv[1], sys.argv[2]
bucket, _, prefix = store[len("s3://"):].partition("/")
prefix = prefix or "guardrail/"
if not prefix.endswith("/"):
    prefix += "/"
s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3"))
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}audit/{environment}/"):
    keys.extend(item["Key"] for item in page.get("Contents", []))
for key in sorted(keys):
    record = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    glass = record.get("break_glass") or {}
    reasons = "; ".join(record.get("reasons") or []).replace("|", "/")
    print(f"| {record.get('at', '')} | {record.get('action', 'gate')} | {record.get('decision', '')} "
          f"| {record.get('who', '')} | {glass.get('ticket') or '-'} | {reasons} |")
PY
exit "$trail"
