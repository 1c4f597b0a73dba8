#!/usr/bin/env bash
# Lab 09 (chapter 6): a production container made to run as root and privileged is
# refused by the platform policy; a writable emptyDir for the cache passes.
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

step "unsafe path: the production overlay runs podinfo as root, privileged"
overlay "$here/unsafe" "$work/repo"
expect_refused tree "$work/repo" \
  "apps-production: Deployment production/podinfo: container podinfo: runAsNonRoot is not true" \
  "container podinfo: securityContext.privileged is true" \
  "container podinfo: securityContext.allowPrivilegeEscalation is not false" \
  "container podinfo: securityContext.readOnlyRootFilesystem is not true"

step "safe path: a writable emptyDir for the cache, the container stays hardened"
gitops_copy "$work/repo"
overlay "$here/safe" "$work/repo"
run policy tree "$work/repo"
ok "the change passes the platform policy"
