#!/usr/bin/env bash
# Lab 11 (chapter 8): dropping the HPA and the PodDisruptionBudget from production to
# unblock a node drain is refused; one more replica under the same budget passes.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
source "$GUARDRAIL_ROOT/scripts/lib/gitops-lab.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"

step "the tree as it is passes the platform policy"
gitops_copy "$work/repo"
run policy tree "$work/repo"
ok "no problems"

step "unsafe path: production drops the availability component (HPA and PDB) to unblock a drain"
overlay "$here/unsafe" "$work/repo"
expect_refused tree "$work/repo" \
  "production: no PodDisruptionBudget selecting Deployment podinfo" \
  "production: no HorizontalPodAutoscaler for Deployment podinfo"

step "safe path: one more replica, the PDB and the HPA stay"
gitops_copy "$work/repo"
overlay "$here/safe" "$work/repo"
run policy tree "$work/repo"
ok "the change passes the platform policy"
