#!/usr/bin/env bash
# Review the GitOps tree against the platform policy, read-only.
#
#   review.sh [--root DIR] [--path FLUX_PATH]
#
# DIR is the repository checkout (default: the current directory); FLUX_PATH a
# kustomization folder to render and show (e.g. flux/apps/production).
# Exit: 0 no problems; 1 policy problems; 2 bad arguments.
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

root="."
path=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --root) [ "$#" -ge 2 ] || usage; root="$2"; shift 2 ;;
    --path) [ "$#" -ge 2 ] || usage; path="$2"; shift 2 ;;
    *) echo "review: unexpected $1" >&2; usage ;;
  esac
done
[ -d "$root/flux" ] || { echo "review: $root has no flux/ folder" >&2; exit 2; }
if [ -n "$path" ]; then
  [ -f "$root/$path/kustomization.yaml" ] || { echo "review: $root/$path has no kustomization.yaml" >&2; exit 2; }
  kubectl kustomize "$root/$path"
fi

status=0
for check in tree secrets; do
  set +e
  platform-policy "$check" --root "$root"
  result=$?
  set -e
  [ "$result" -le 1 ] || { echo "review: platform-policy $check could not read the tree" >&2; exit 2; }
  [ "$result" -eq 0 ] || status=1
done
if [ "$status" -eq 0 ]; then
  echo "REVIEW: the change meets the platform policy"
else
  echo "REVIEW: the change breaks the platform policy (problems above); request changes"
fi
exit "$status"
