#!/usr/bin/env bash
# `make bench`: the plan benchmark (see bench/plan.sh).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/plan.sh" "$@"
