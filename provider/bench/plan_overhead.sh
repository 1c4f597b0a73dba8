#!/usr/bin/env bash
# Measures what the guardrail provider adds to a plan:
#   * the plugin handshake (process start until the handshake line),
#   * `terraform plan` of a small configuration without and with one change gate
#     (gate with a change window, against a local S3 server).
# Each figure is the median of RUNS runs (default 7). Uses the debug build unless
# GUARDRAIL_BIN_DIR points elsewhere (e.g. target/release).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export GUARDRAIL_BIN_DIR="${GUARDRAIL_BIN_DIR:-$root/target/debug}"
source "$root/scripts/lib/local-r2.sh"
runs="${RUNS:-7}"
provider="$GUARDRAIL_BIN_DIR/terraform-provider-guardrail"
[ -x "$provider" ] || die "build the provider first: cargo build -p terraform-provider-guardrail"

work="$(mktemp -d)"
cleanup() { stop_local_r2; rm -rf "$work"; }
start_local_r2 "$work/r2"
trap cleanup EXIT

now_ms() { date +%s%3N; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

handshake_ms() {
  local start line_time pid
  start="$(now_ms)"
  coproc HANDSHAKE {
    exec env TF_PLUGIN_MAGIC_COOKIE=d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2 \
      PLUGIN_PROTOCOL_VERSIONS=6 PLUGIN_MIN_PORT=10000 PLUGIN_MAX_PORT=25000 \
      PLUGIN_CLIENT_CERT="$(cat "$work/client.pem")" "$provider" 2>/dev/null
  }
  pid=$HANDSHAKE_PID
  read -r _ <&"${HANDSHAKE[0]}"
  line_time="$(now_ms)"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo $((line_time - start))
}

write_config() {
  local dir="$1" gate="$2"
  mkdir -p "$dir"
  cat >"$dir/main.tf" <<TF
terraform {
  required_providers {
    guardrail = {
      source = "sre-control-plane/guardrail"
    }
  }
}

provider "guardrail" {
  environment = "production"
  allow_clock_override = true
  now                  = "2026-11-24T10:00:00+01:00"
  store {
    bucket = "guardrails"
  }
}

resource "terraform_data" "worker" {
  count = 5
  input = "worker-\${count.index}"
  $([ "$gate" = yes ] && echo 'depends_on = [guardrail_change_gate.production]')
}
TF
  if [ "$gate" = yes ]; then
    cat >>"$dir/main.tf" <<'TF'

resource "guardrail_change_gate" "production" {
  environment = "production"
  change_window {
    timezone = "Europe/Berlin"
    allow {
      days  = ["mon-fri"]
      start = "09:00"
      end   = "17:00"
    }
  }
}
TF
  fi
}

plan_ms() {
  local dir="$1" start end
  start="$(now_ms)"
  (cd "$dir" && terraform plan -input=false -no-color >/dev/null)
  end="$(now_ms)"
  echo $((end - start))
}

# A client certificate like Terraform's, for the handshake measurement.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=localhost -keyout "$work/client.key" -out "$work/client.pem" 2>/dev/null

write_config "$work/plain" no
write_config "$work/gated" yes
# One warm-up plan each (Terraform loads schemas, moto warms up).
plan_ms "$work/plain" >/dev/null
plan_ms "$work/gated" >/dev/null

handshake="$(for _ in $(seq "$runs"); do handshake_ms; done | median)"
plain="$(for _ in $(seq "$runs"); do plan_ms "$work/plain"; done | median)"
gated="$(for _ in $(seq "$runs"); do plan_ms "$work/gated"; done | median)"

printf 'runs per figure:                %s (median)\n' "$runs"
printf 'provider handshake:             %s ms\n' "$handshake"
printf 'plan, 5 resources, no gate:     %s ms\n' "$plain"
printf 'plan, 5 resources + one gate:   %s ms\n' "$gated"
printf 'overhead of the gate:           %s ms\n' "$((gated - plain))"
