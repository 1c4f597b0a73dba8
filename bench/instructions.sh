#!/usr/bin/env bash
# Instruction-count regression check of `tfaudit plan`, run by `make test`.
#
#   bench/instructions.sh            compare with bench/instructions.baseline
#   bench/instructions.sh --update   write the counts measured now as the baseline
#
# Wall time on a shared machine varies by tens of percent; the number of
# instructions a binary executes on the same input does not (callgrind counts
# them on its simulated CPU, whatever else the machine is doing: runs differ by
# about 0.2%, from the scheduling of the secret collector's thread). So CI
# fails on a slowdown without timing a test: each case runs the debug build of
# tfaudit that `make test` builds (TFAUDIT_BIN to use another) under
# `valgrind --tool=callgrind` on a plan from bench/gen_plan.py (fixed seed) and
# compares the total with the baseline for that case.
#
# Environment: BENCH_TOLERANCE, BENCH_BASELINE (another baseline file),
# BENCH_CASES (names of the cases to run, default all), TFAUDIT_BIN.
#
# A count more than BENCH_TOLERANCE percent (default 10) above the baseline
# fails (exit 1); more than that below it passes with a note to lower the
# baseline. The baseline belongs to one build profile and toolchain: after a
# change that is meant to cost more (or after a toolchain update), run with
# --update and commit the file with the change, saying why in the commit.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
baseline="${BENCH_BASELINE:-$root/bench/instructions.baseline}"
tolerance="${BENCH_TOLERANCE:-10}"
update=false
case "${1:-}" in
  --update) update=true ;;
  "") ;;
  *) echo "usage: bench/instructions.sh [--update]" >&2; exit 2 ;;
esac

if ! command -v valgrind >/dev/null 2>&1; then
  echo "bench/instructions.sh: valgrind is missing: run \`make setup\` (Debian package valgrind)" >&2
  exit 2
fi
bin="${TFAUDIT_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/tfaudit}"
if [[ ! -x "$bin" ]]; then
  echo "bench/instructions.sh: $bin is missing: run \`make build\` first (or set TFAUDIT_BIN)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One case: NAME RESOURCES ARGS...; every reporter runs in the first one.
cases=(
  "plan-1000-all-reports|1000|--format text --report json=$work/r.json --report sarif=$work/r.sarif --report markdown=$work/r.md --report junit=$work/r.xml"
  "plan-1000-json|1000|--format json"
)

# Instructions executed by one run of tfaudit (callgrind's "Collected" total).
count() {
  local plan="$1"
  shift
  local log="$work/callgrind.log"
  if ! (cd "$work" && valgrind --tool=callgrind --callgrind-out-file=/dev/null --log-file="$log" \
    "$bin" plan "$plan" "$@" --fail-on never >/dev/null 2>"$work/stderr"); then
    echo "bench/instructions.sh: tfaudit failed on $plan:" >&2
    cat "$work/stderr" "$log" >&2
    exit 2
  fi
  awk '/Collected :/ { print $NF }' "$log"
}

declare -A expected=()
if [[ -f "$baseline" ]]; then
  while read -r name value; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    expected[$name]="$value"
  done <"$baseline"
fi

status=0
measured=()
for entry in "${cases[@]}"; do
  IFS='|' read -r name resources args <<<"$entry"
  if [[ -n "${BENCH_CASES:-}" && " $BENCH_CASES " != *" $name "* ]]; then
    continue
  fi
  plan="$work/plan-$resources.json"
  [[ -f "$plan" ]] || python3 "$root/bench/gen_plan.py" "$resources" "$plan" --seed 1
  # Each case's flags are a flat list: split on spaces on purpose.
  # shellcheck disable=SC2086
  instructions="$(count "$plan" $args)"
  measured+=("$name $instructions")
  if $update; then
    printf '%-24s %15d\n' "$name" "$instructions"
    continue
  fi
  want="${expected[$name]:-}"
  if [[ -z "$want" ]]; then
    echo "bench/instructions.sh: $baseline has no count for $name: run bench/instructions.sh --update" >&2
    exit 2
  fi
  verdict="$(awk -v got="$instructions" -v want="$want" -v tol="$tolerance" 'BEGIN {
    change = (got - want) * 100 / want
    if (change > tol) v = "slower"; else if (change < -tol) v = "faster"; else v = "ok"
    printf "%s %+.1f", v, change
  }')"
  read -r outcome change <<<"$verdict"
  printf '%-24s %15d instructions, baseline %15d (%s%%): %s\n' "$name" "$instructions" "$want" "$change" "$outcome"
  case "$outcome" in
    slower)
      echo "  more than ${tolerance}% above the baseline: find the slowdown (callgrind_annotate), or, when the cost is meant, run bench/instructions.sh --update" >&2
      status=1
      ;;
    faster) echo "  more than ${tolerance}% below the baseline: lower it with bench/instructions.sh --update" >&2 ;;
  esac
done

if $update; then
  {
    echo "# Instructions executed by tfaudit (debug build of \`make build\`, $(rustc --version | cut -d' ' -f1-2)),"
    echo "# measured by bench/instructions.sh --update; compared by bench/instructions.sh."
    for row in "${measured[@]}"; do
      read -r name value <<<"$row"
      printf '%s %s\n' "$name" "$value"
    done
  } >"$baseline"
  echo "wrote $baseline" >&2
fi
exit "$status"
