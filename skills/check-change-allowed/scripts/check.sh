#!/usr/bin/env bash
# May an environment change now? The live freeze and the gate's decision.
#
#   check.sh --environment ENV --store s3://BUCKET/PREFIX/ [--window FILE] [--change TEXT]
#
# Reads the lock (tfaudit lock status) and asks the gate (tfaudit gate --check:
# the gate's decision, with nothing written). Never breaks glass.
# Exit: 0 may change; 1 may not; 2 bad arguments.
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

environment=""
store=""
change="review: may this environment change now?"
window=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --environment) [ "$#" -ge 2 ] || usage; environment="$2"; shift 2 ;;
    --store) [ "$#" -ge 2 ] || usage; store="$2"; shift 2 ;;
    --window)
      [ "$#" -ge 2 ] || usage
      [ -f "$2" ] || { echo "check: $2 does not exist" >&2; exit 2; }
      window=(--window "$2"); shift 2 ;;
    --change) [ "$#" -ge 2 ] || usage; change="$2"; shift 2 ;;
    *) echo "check: unexpected $1" >&2; usage ;;
  esac
done
case "$environment" in
  develop | staging | production) ;;
  *) echo "check: --environment must be develop, staging or production" >&2; usage ;;
esac
case "$store" in
  s3://*) ;;
  *) echo "check: --store must be s3://BUCKET/PREFIX/" >&2; usage ;;
esac

tfaudit lock status --environment "$environment" --store "$store"
set +e
tfaudit gate --check --environment "$environment" --store "$store" "${window[@]}" --change "$change"
status=$?
set -e
case "$status" in
  0) echo "ANSWER: $environment may change now" ;;
  1) echo "ANSWER: $environment may not change now (reason above); wait, or ask the on-call human about break glass" ;;
  *) echo "check: tfaudit gate failed (exit $status)" >&2; exit 2 ;;
esac
exit "$status"
