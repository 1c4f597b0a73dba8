#!/usr/bin/env bash
# Runs a command only when the current kube context and namespace are the ones
# named: the guard against "the right command on the wrong cluster".
#
#   scripts/guard/kube-context-check.sh --context hetzner --namespace staging -- \
#     kubectl apply -f x.yaml
#
# The current context comes from `kubectl config current-context` (and its
# namespace from the context, `default` when it names none). Without kubectl (or
# with KUBECTL pointing nowhere) the script reads the kubeconfig itself:
# $KUBECONFIG (colon-separated; the first file that sets current-context wins) or
# ~/.kube/config, in the layout kubectl writes. No cluster is contacted.
#
# It also refuses a kubectl, helm or flux command that points itself elsewhere
# (`--context other`, `--kube-context other`, `-n other`, `--namespace=other`,
# `--kubeconfig`, `--all-namespaces`/`-A`).
#
# Exit: the command's own status when it runs; 1 when refused; 2 on bad arguments.
set -euo pipefail

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

want_context=""
want_namespace=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --context) [ "$#" -ge 2 ] || usage; want_context="$2"; shift 2 ;;
    --context=*) want_context="${1#--context=}"; shift ;;
    --namespace | -n) [ "$#" -ge 2 ] || usage; want_namespace="$2"; shift 2 ;;
    --namespace=*) want_namespace="${1#--namespace=}"; shift ;;
    -h | --help) usage ;;
    --) shift; break ;;
    *) echo "kube-context-check: unexpected $1 (the command goes after --)" >&2; usage ;;
  esac
done
if [ -z "$want_context" ] || [ -z "$want_namespace" ]; then usage; fi
[ "$#" -gt 0 ] || { echo "kube-context-check: no command after --" >&2; usage; }

refuse() {
  echo "kube-context-check: refusing to run '$*'" >&2
  exit 1
}

# Reads current-context and that context's namespace from kubeconfig files.
from_files() {
  local files=() path
  IFS=':' read -r -a files <<< "${KUBECONFIG:-$HOME/.kube/config}"
  for path in "${files[@]}"; do
    if [ -z "$path" ] || [ ! -r "$path" ]; then continue; fi
    printf '%s\n' "--- $path"
    cat "$path"
    printf '\n'
  done | awk '
    function unquote(v) { gsub(/^[ \t]+|[ \t]+$/, "", v); gsub(/^["\047]|["\047]$/, "", v); return v }
    /^--- / { section = ""; next }
    /^current-context:/ { v = $0; sub(/^current-context:/, "", v); if (current == "") current = unquote(v); next }
    /^contexts:/ { section = "contexts"; next }
    /^[^ \t-]/ { section = "" }
    section == "contexts" && /^[ \t]*- / { n++ }
    section == "contexts" && /^[ \t]*(- )?name:/ { v = $0; sub(/^[ \t]*(- )?name:/, "", v); if (!(n in name)) name[n] = unquote(v) }
    section == "contexts" && /^[ \t]+namespace:/ { v = $0; sub(/^[ \t]+namespace:/, "", v); ns[n] = unquote(v) }
    END {
      found = ""
      for (i = 1; i <= n; i++) if (name[i] == current && found == "") found = i
      printf "%s\t%s\t%s\n", current, (found == "" ? "" : (ns[found] == "" ? "default" : ns[found])), (found == "" ? "missing" : "found")
    }
  '
}

kubectl_bin="${KUBECTL:-kubectl}"
if command -v "$kubectl_bin" > /dev/null 2>&1; then
  current_context="$("$kubectl_bin" config current-context 2> /dev/null || true)"
  current_namespace=""
  if [ -n "$current_context" ]; then
    current_namespace="$("$kubectl_bin" config view --minify -o 'jsonpath={..namespace}' 2> /dev/null || true)"
    current_namespace="${current_namespace:-default}"
  fi
else
  IFS=$'\t' read -r current_context current_namespace status < <(from_files) || true
  if [ -n "${current_context:-}" ] && [ "${status:-}" != found ]; then
    echo "kube-context-check: the current context '$current_context' is not defined in the kubeconfig" >&2
    refuse "$@"
  fi
fi

if [ -z "${current_context:-}" ]; then
  echo "kube-context-check: no current kube context (KUBECONFIG=${KUBECONFIG:-~/.kube/config})" >&2
  refuse "$@"
fi
if [ "$current_context" != "$want_context" ]; then
  echo "kube-context-check: the current context is '$current_context', not '$want_context'" >&2
  echo "  switch with: kubectl config use-context $want_context" >&2
  refuse "$@"
fi
if [ "$current_namespace" != "$want_namespace" ]; then
  echo "kube-context-check: the current namespace of '$current_context' is '$current_namespace', not '$want_namespace'" >&2
  echo "  switch with: kubectl config set-context --current --namespace $want_namespace" >&2
  refuse "$@"
fi

# A Kubernetes client must not point itself at another context or namespace.
args=("$@")
case "${1##*/}" in
  kubectl | helm | flux) ;;
  *) args=() ;;
esac
for ((i = 0; i < ${#args[@]}; i++)); do
  arg="${args[$i]}"
  next="${args[$((i + 1))]:-}"
  case "$arg" in
    --context=* | --kube-context=*) [ "${arg#*=}" = "$want_context" ] || { echo "kube-context-check: the command names context ${arg#*=}" >&2; refuse "$@"; } ;;
    --context | --kube-context) [ "$next" = "$want_context" ] || { echo "kube-context-check: the command names context $next" >&2; refuse "$@"; } ;;
    --namespace=* | -n=*) [ "${arg#*=}" = "$want_namespace" ] || { echo "kube-context-check: the command names namespace ${arg#*=}" >&2; refuse "$@"; } ;;
    --namespace | -n) [ "$next" = "$want_namespace" ] || { echo "kube-context-check: the command names namespace $next" >&2; refuse "$@"; } ;;
    --kubeconfig | --kubeconfig=* | --all-namespaces | -A)
      echo "kube-context-check: the command overrides the checked kubeconfig or namespace ($arg)" >&2
      refuse "$@"
      ;;
  esac
done

echo "kube-context-check: context $current_context, namespace $current_namespace: running $1" >&2
exec "$@"
