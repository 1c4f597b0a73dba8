#!/usr/bin/env bash
# Benchmarks `tfaudit plan` on generated plans.
#
#   bench/plan.sh [RESOURCES...]        default: 10000 100000
#
# Builds tfaudit in release mode (skipped when TFAUDIT_BIN names a binary),
# writes a plan of each size with bench/gen_plan.py (Terraform's plan JSON,
# format 1.2), then reports for each size and format: the plan's size, the wall
# time of `tfaudit plan PLAN --format FORMAT --fail-on never` (hyperfine when
# installed, otherwise BENCH_RUNS plain runs with their median) and the peak RSS
# measured by `/usr/bin/time -v`.
#
# Environment: BENCH_RUNS (runs per measurement, default 5), BENCH_FORMATS
# (default "text json sarif"; e.g. "json markdown"), BENCH_DIR (keep the plans and the
# raw measurements there instead of a temporary folder), TFAUDIT_BIN.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${BENCH_RUNS:-5}"
read -r -a formats <<<"${BENCH_FORMATS:-text json sarif}"
sizes=("$@")
if [[ ${#sizes[@]} -eq 0 ]]; then
  sizes=(10000 100000)
fi

if [[ ! -x /usr/bin/time ]]; then
  echo "bench/plan.sh: /usr/bin/time (GNU time) is needed for peak RSS" >&2
  exit 2
fi

bin="${TFAUDIT_BIN:-}"
if [[ -z "$bin" ]]; then
  echo "building tfaudit (release)..." >&2
  (cd "$root" && cargo build --release -p tfaudit --bin tfaudit)
  bin="${CARGO_TARGET_DIR:-$root/target}/release/tfaudit"
fi

if [[ -n "${BENCH_DIR:-}" ]]; then
  work="$BENCH_DIR"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi

# Runs tfaudit once under GNU time; prints "seconds kilobytes".
measure_once() {
  local plan="$1" format="$2" log="$work/time.log" status=0
  /usr/bin/time -v -o "$log" "$bin" plan "$plan" --format "$format" --fail-on never \
    >"$work/out.$format" 2>"$work/err.log" || status=$?
  if [[ $status -ne 0 ]]; then
    echo "bench/plan.sh: tfaudit exited with $status on $plan:" >&2
    cat "$work/err.log" >&2
    exit 1
  fi
  awk -F': ' '
    /Elapsed \(wall clock\) time/ {
      n = split($2, part, ":"); seconds = 0
      for (i = 1; i <= n; i++) seconds = seconds * 60 + part[i]
    }
    /Maximum resident set size/ { rss = $2 }
    END { printf "%.3f %d\n", seconds, rss }
  ' "$log"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Median, min and max (seconds) from a hyperfine JSON export.
hyperfine_stats() {
  python3 -c '
import json, sys
result = json.load(open(sys.argv[1]))["results"][0]
print("%.3f %.3f %.3f" % (result["median"], result["min"], result["max"]))
' "$1"
}

results=()
for size in "${sizes[@]}"; do
  plan="$work/plan-$size.json"
  echo "generating a plan with $size resources..." >&2
  python3 "$root/bench/gen_plan.py" "$size" "$plan"
  plan_mb="$(awk -v b="$(stat -c %s "$plan")" 'BEGIN { printf "%.1f", b / 1048576 }')"

  for format in "${formats[@]}"; do
    # Peak RSS (and a warm-up run for the page cache).
    read -r _ rss_kb < <(measure_once "$plan" "$format")

    if command -v hyperfine >/dev/null 2>&1; then
      export="$work/hyperfine-$size-$format.json"
      hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$export" \
        "'$bin' plan '$plan' --format $format --fail-on never" >&2
      read -r wall_median wall_min wall_max < <(hyperfine_stats "$export")
      method="hyperfine, $runs runs"
    else
      walls="$work/walls-$size-$format.txt"
      : >"$walls"
      for _ in $(seq "$runs"); do
        read -r seconds run_rss < <(measure_once "$plan" "$format")
        echo "$seconds" >>"$walls"
        if ((run_rss > rss_kb)); then rss_kb=$run_rss; fi
      done
      wall_median="$(median <"$walls")"
      wall_min="$(sort -n "$walls" | head -n1)"
      wall_max="$(sort -n "$walls" | tail -n1)"
      method="median of $runs runs"
    fi
    rss_mb="$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')"
    results+=("$size|$format|$plan_mb|$wall_median|$wall_min|$wall_max|$rss_mb|$method")
  done
done

echo
row_format='%-10s %-9s %9s %9s %8s %8s %13s  %s\n'
# shellcheck disable=SC2059
printf "$row_format" resources format "plan MiB" "median s" "min s" "max s" "peak RSS MiB" method
for row in "${results[@]}"; do
  IFS='|' read -r size format plan_mb wall_median wall_min wall_max rss_mb method <<<"$row"
  # shellcheck disable=SC2059
  printf "$row_format" "$size" "$format" "$plan_mb" "$wall_median" "$wall_min" "$wall_max" "$rss_mb" "$method"
done
