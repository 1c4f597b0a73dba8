#!/usr/bin/env bash
# `make bench`: the plan benchmark (bench/plan.sh), then the state benchmark
# (auditor/benches/state.sh, 1,000 state objects on a local moto server). Both use
# one release build of tfaudit in $CARGO_TARGET_DIR (default target/), or the
# binary TFAUDIT_BIN names. Arguments go to the plan benchmark (resource counts);
# STATE_COUNTS (default 1000) lists the state counts.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ -z "${TFAUDIT_BIN:-}" ]]; then
  target_dir="${CARGO_TARGET_DIR:-$root/target}"
  echo "building tfaudit (release)..." >&2
  (cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo build --release -p tfaudit --bin tfaudit)
  export TFAUDIT_BIN="$target_dir/release/tfaudit"
fi

echo "== tfaudit plan" >&2
"$root/bench/plan.sh" "$@"
echo "== tfaudit state" >&2
read -r -a state_counts <<<"${STATE_COUNTS:-1000}"
"$root/auditor/benches/state.sh" "${state_counts[@]}"
