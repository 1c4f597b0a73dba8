#!/usr/bin/env bash
# Runs one lab of the course: scripts/lab.sh N, where N is the lab's number (07 or
# 7) as in examples/NN-*/. `make lab N=07` builds the binaries first.
# Exit: the lab's status; 2 when N names no lab.
set -euo pipefail
source "$(dirname "$0")/lib/local-r2.sh"

usage() {
  echo "usage: scripts/lab.sh N   (a lab number, e.g. 07; the labs are:" >&2
  for lab in "$GUARDRAIL_ROOT"/examples/[0-9][0-9]-*/; do
    printf '  %s\n' "$(basename "$lab")" >&2
  done
  echo ")" >&2
  exit 2
}

[ "$#" -eq 1 ] || usage
case "$1" in
  [0-9] | [0-9][0-9]) number="$(printf '%02d' "$((10#$1))")" ;;
  *) echo "lab: '$1' is not a lab number" >&2; usage ;;
esac
matches=("$GUARDRAIL_ROOT"/examples/"$number"-*/run.sh)
[ -f "${matches[0]}" ] || { echo "lab: no lab $number under examples/" >&2; usage; }
for bin in terraform-provider-guardrail tfaudit platform-policy; do
  [ -x "$GUARDRAIL_BIN_DIR/$bin" ] || die "$GUARDRAIL_BIN_DIR/$bin is missing: run \`make build\` (make lab does it)"
done
lab="$(dirname "${matches[0]}")"
printf '%s######## %s ########%s\n' "$_bold" "$(basename "$lab")" "$_reset"
if [ -z "${LAB_WORKDIR:-}" ]; then
  # A fresh working folder each run, as the demo gives every lab.
  LAB_WORKDIR="$GUARDRAIL_ROOT/.demo/$(basename "$lab")"
  rm -rf "$LAB_WORKDIR"
fi
LAB_WORKDIR="$LAB_WORKDIR" bash "$lab/run.sh"
