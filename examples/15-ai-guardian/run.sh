#!/usr/bin/env bash
# Lab 15 (chapter 12): two AI proposals, both plausible, both stopped. A "harmless
# rename" whose plan destroys every worker is refused by tfaudit's budget, and the
# review skill says why; the revised proposal with a `moved` block passes. A kubectl
# command meant for the dev cluster, run while the shell points at production, is
# refused by scripts/guard/kube-context-check.sh.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
# Its own S3 server: in the demo, lab 05 leaves production frozen in the shared one.
start_local_r2 "$work/r2"
review="$GUARDRAIL_ROOT/skills/review-terraform-plan/scripts/review-plan.sh"
guard="$GUARDRAIL_ROOT/scripts/guard/kube-context-check.sh"
mkdir -p "$work/cluster"
cp "$here/current/main.tf" "$work/cluster/"
cd "$work/cluster"

step "today: four workers behind the production gate and its budget"
run terraform apply -auto-approve -no-color | grep -E 'Apply complete'

# plan_of DIR NAME: plans the proposal in DIR against today's state, as CI would.
plan_of() {
  cp "$1/main.tf" "$work/cluster/main.tf"
  terraform plan -no-color -input=false -out="$2.tfplan" | grep -E 'Plan:' | sed 's/^/    /'
  terraform show -json "$2.tfplan" > "$2.json"
}

step "unsafe path 1: the AI's pull request, \"rename for consistency, no functional change\""
plan_of "$here/proposal" proposal
expect_failure "plan/budget-exceeded" bash "$review" proposal.json
{ bash "$review" proposal.json || true; } | grep -q 'VERDICT: do not apply' || die "the review skill did not say: do not apply"
ok "the review skill explains it: four destroys against a budget of one (references/findings.md: a rename needs a moved block)"

step "safe path 1: the revised proposal, the same rename with a moved block"
plan_of "$here/revised" revised
run bash "$review" revised.json | tee "$work/revised-review.txt"
grep -q 'plan/moved' "$work/revised-review.txt" || die "the review does not show the moves (plan/moved)"
run terraform apply -no-color -input=false revised.tfplan | grep -E 'Apply complete'
run terraform state list
ok "renamed, nothing destroyed"

step "unsafe path 2: the AI suggests restarting the dev pods; the shell points at production"
export KUBECONFIG="$work/kubeconfig"
cp "$here/kubeconfig" "$KUBECONFIG"
run kubectl config current-context
expect_failure "the current context is 'hetzner-production', not 'kind-dev'" \
  bash "$guard" --context kind-dev --namespace develop -- kubectl delete pod -l app=podinfo
step "unsafe path 3: in the right shell, the AI's command still carries its own --context"
run kubectl config use-context kind-dev
expect_failure "the command names context hetzner-production" \
  bash "$guard" --context kind-dev --namespace develop -- kubectl --context hetzner-production delete pod -l app=podinfo

step "safe path 2: right context, right namespace, nothing overridden: the guard lets it through"
run bash "$guard" --context kind-dev --namespace develop -- kubectl config view --minify -o 'jsonpath={.contexts[0].name}'
printf '\n'
ok "the guard runs a command only in the context and namespace it was meant for"
