#!/usr/bin/env bash
# Lab 12 (chapter 9): promtool's unit tests show the burn-rate alert firing on an
# outage and quiet on a healthy series; a threshold raised until the page never
# fires is refused, and so is a new alert without a runbook.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
source "$GUARDRAIL_ROOT/scripts/lib/gitops-lab.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
rules=flux/infrastructure/configs/observability/rules/podinfo-slo.yaml
tests=flux/infrastructure/configs/observability/tests/podinfo-slo_test.yaml

step "the SLO alerts and their unit tests: an outage series and a healthy one"
gitops_copy "$work/repo"
run grep -E "^- name:|alertname:|exp_alerts: \[\]" "$work/repo/$tests"
run policy alerts "$work/repo"
ok "PodinfoErrorBudgetBurnFast fires on 9% errors and stays quiet on healthy production"
run policy runbooks "$work/repo"

step "unsafe path 1: the pager was noisy, so the fast-burn threshold goes up 100x"
sed -i 's|ratio_rate5m{environment="production"} > (14.4 \* 0.001)|ratio_rate5m{environment="production"} > (1440 * 0.001)|' "$work/repo/$rules"
expect_refused alerts "$work/repo" "alertname: PodinfoErrorBudgetBurnFast"

step "unsafe path 2: a new latency alert, paged, without a runbook"
gitops_copy "$work/repo"
cat "$here/latency-alert.yaml" >> "$work/repo/$rules"
expect_refused runbooks "$work/repo" \
  "alert PodinfoLatencyHigh: runbook_url \`\` does not point under docs/runbooks/"
expect_refused alerts "$work/repo" \
  "alert PodinfoLatencyHigh: no unit test makes it fire" \
  "alert PodinfoLatencyHigh: no unit test shows it quiet"

step "safe path: the thresholds as the SLO defines them, every alert tested and runbooked"
gitops_copy "$work/repo"
run policy alerts "$work/repo"
run policy runbooks "$work/repo"
ok "the burn-rate alerts fire on the outage, stay quiet when healthy, and each names its runbook"
