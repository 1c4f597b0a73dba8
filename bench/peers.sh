#!/usr/bin/env bash
# tfaudit side by side with the policy engines a user would pick instead, on the
# same generated plans and the same policy: no managed destroy of a protected
# type (hcloud_volume, hcloud_network, hcloud_primary_ip, hcloud_floating_ip),
# and at most MAX_DESTROY managed destroys.
#
#   bench/peers.sh [RESOURCES...]        default: 1000 10000
#
# - tfaudit: `tfaudit plan PLAN --budget destroy=MAX_DESTROY --format json
#   --fail-on never` (every rule, secret redaction and the report, not only this
#   policy);
# - regorus: bench/peers/plan.rego, evaluated by auditor/examples/rego_peer.rs
#   (read, parse into regorus values, evaluate `data.bench.plan.deny`), built
#   in release mode with the regorus tfaudit links;
# - cfn-guard: bench/peers/plan.guard with `cfn-guard validate`; the one on
#   PATH, else installed from crates.io into bench/out/peers (first run only;
#   set PEERS_SKIP_GUARD=1 to leave it out).
#
# Each measurement is the median wall time and peak RSS of BENCH_RUNS (default
# 5) runs under GNU time; the table ends with the ratios peer / tfaudit, and
# each tool's count of protected destroys, which must agree.
# Environment: BENCH_RUNS, MAX_DESTROY (default 10), BENCH_DIR (keep plans and
# outputs), TFAUDIT_BIN and REGO_PEER_BIN (skip the build), PEERS_SKIP_GUARD.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${BENCH_RUNS:-5}"
max_destroy="${MAX_DESTROY:-10}"
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 10000)
target="${CARGO_TARGET_DIR:-$root/target}"

[[ -x /usr/bin/time ]] || { echo "bench/peers.sh: /usr/bin/time (GNU time) is needed for peak RSS" >&2; exit 2; }

tfaudit="${TFAUDIT_BIN:-}"
rego_peer="${REGO_PEER_BIN:-}"
if [[ -z "$tfaudit" || -z "$rego_peer" ]]; then
  echo "building tfaudit and the regorus runner (release)..." >&2
  (cd "$root" && cargo build --release --workspace --bins --example rego_peer)
  tfaudit="${tfaudit:-$target/release/tfaudit}"
  rego_peer="${rego_peer:-$target/release/examples/rego_peer}"
fi

guard=""
if [[ -z "${PEERS_SKIP_GUARD:-}" ]]; then
  guard="$(command -v cfn-guard || true)"
  if [[ -z "$guard" ]]; then
    guard="$root/bench/out/peers/bin/cfn-guard"
    if [[ ! -x "$guard" ]]; then
      echo "installing cfn-guard from crates.io into bench/out/peers (first run only)..." >&2
      cargo install --quiet --locked cfn-guard --root "$root/bench/out/peers" >&2 || guard=""
    fi
  fi
fi

if [[ -n "${BENCH_DIR:-}" ]]; then
  work="$BENCH_DIR"; mkdir -p "$work"
else
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
fi
sed "s/MAX_DESTROY/$max_destroy/" "$root/bench/peers/plan.guard" >"$work/plan.guard"

# Runs a command once under GNU time, stdout to $work/out; prints "seconds kilobytes".
# Exit codes the tool uses for "policy violated" are expected (cfn-guard: 19).
measure_once() {
  local status=0
  /usr/bin/time -v -o "$work/time.log" "$@" >"$work/out" 2>"$work/err" || status=$?
  if [[ $status -ne 0 && $status -ne 19 ]]; then
    echo "bench/peers.sh: $1 exited with $status:" >&2
    head -c 2000 "$work/err" >&2
    exit 1
  fi
  awk -F': ' '
    /Elapsed \(wall clock\) time/ {
      n = split($2, part, ":"); seconds = 0
      for (i = 1; i <= n; i++) seconds = seconds * 60 + part[i]
    }
    /Maximum resident set size/ { kb = $2 }
    END { printf "%.3f %d\n", seconds, kb }' "$work/time.log"
}

# Median of $runs runs: prints "seconds MiB".
measure() {
  local i
  for ((i = 0; i < runs; i++)); do measure_once "$@"; done | sort -n | awk -v n="$runs" '
    { s[NR] = $1; k[NR] = $2 }
    END { m = int((n + 1) / 2); printf "%.3f %.1f\n", s[m], k[m] / 1024 }'
}

printf '| resources | tool | median s | peak RSS MiB | protected destroys found | time / tfaudit |\n'
printf '| ---: | --- | ---: | ---: | ---: | ---: |\n'
for size in "${sizes[@]}"; do
  plan="$work/plan-$size.json"
  [[ -f "$plan" ]] || python3 "$root/bench/gen_plan.py" "$size" "$plan"

  read -r t_s t_m < <(measure "$tfaudit" plan "$plan" --budget "destroy=$max_destroy" --format json --fail-on never)
  "$tfaudit" plan "$plan" --budget "destroy=$max_destroy" --format json --fail-on never >"$work/out" || true
  t_found="$(python3 -c 'import json,sys; print(sum(f["rule_id"] == "plan/protected-destroy" for f in json.load(open(sys.argv[1]))["findings"]))' "$work/out")"
  printf '| %s | tfaudit | %s | %s | %s | 1 |\n' "$size" "$t_s" "$t_m" "$t_found"

  read -r r_s r_m < <(measure "$rego_peer" "$root/bench/peers/plan.rego" "$plan" data.bench.plan.deny "$max_destroy")
  r_found="$("$rego_peer" "$root/bench/peers/plan.rego" "$plan" data.bench.plan.protected_destroys "$max_destroy")"
  printf '| %s | regorus | %s | %s | %s | %s |\n' "$size" "$r_s" "$r_m" "$r_found" "$(awk -v a="$r_s" -v b="$t_s" 'BEGIN { printf "%.1f", a / b }')"

  if [[ -n "$guard" ]]; then
    read -r g_s g_m < <(measure "$guard" validate --data "$plan" --rules "$work/plan.guard" --show-summary none --output-format json)
    "$guard" validate --data "$plan" --rules "$work/plan.guard" --show-summary none --output-format json >"$work/out" 2>/dev/null || true
    g_found="$(grep -o '"hcloud_\(volume\|network\|primary_ip\|floating_ip\)"' "$work/out" | wc -l)"
    printf '| %s | cfn-guard | %s | %s | %s (values reported) | %s |\n' "$size" "$g_s" "$g_m" "$g_found" "$(awk -v a="$g_s" -v b="$t_s" 'BEGIN { printf "%.1f", a / b }')"
  else
    printf '| %s | cfn-guard | not measured | | | |\n' "$size"
  fi
done
