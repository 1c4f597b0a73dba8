#!/usr/bin/env bash
# Lab 10 (chapter 7): removing a production container's limits after an OOM kill is
# refused by the platform policy; a memory limit sized from the observed peak passes.
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

step "unsafe path: the production overlay removes the limits after an OOM kill"
overlay "$here/unsafe" "$work/repo"
expect_refused tree "$work/repo" \
  "container podinfo: resources.limits.cpu is not set" \
  "container podinfo: resources.limits.memory is not set"

step "safe path: memory request and limit sized from the observed peak"
gitops_copy "$work/repo"
overlay "$here/safe" "$work/repo"
run policy tree "$work/repo"
ok "the change passes the platform policy"
