#!/usr/bin/env bash
# Lab 08 (chapter 5): an allow-all NetworkPolicy in production is refused by the
# platform policy; a narrow allow for one namespace and port passes.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
source "$GUARDRAIL_ROOT/scripts/lib/gitops-lab.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"

step "the tree as it is: default deny in every environment, then only what podinfo needs"
gitops_copy "$work/repo"
run policy tree "$work/repo"
ok "the platform policy passes"

step "unsafe path: a pull request adds an allow-all ingress rule to production"
overlay "$here/unsafe" "$work/repo"
sed -i 's|^  - namespace.yaml$|  - namespace.yaml\n  - allow-debug.yaml|' "$work/repo/flux/apps/production/kustomization.yaml"
expect_failure "production: NetworkPolicy allow-debug opens ingress to every peer" policy tree "$work/repo"

step "unsafe path: the default deny is deleted instead"
gitops_copy "$work/repo"
"$GUARDRAIL_ROOT/.tools/venv/bin/python" - "$work/repo/flux/apps/base/podinfo/network-policies.yaml" <<'PY'
import sys
path = sys.argv[1]
docs = open(path).read().split("\n---\n")
open(path, "w").write("\n---\n".join(d for d in docs if "name: default-deny" not in d))
PY
expect_failure "no default-deny NetworkPolicy" policy tree "$work/repo"

step "safe path: allow Grafana from observability to the app port, nothing else"
gitops_copy "$work/repo"
overlay "$here/safe" "$work/repo"
sed -i 's|^  - namespace.yaml$|  - namespace.yaml\n  - allow-debug.yaml|' "$work/repo/flux/apps/production/kustomization.yaml"
run policy tree "$work/repo"
ok "the narrow allow passes the platform policy"
