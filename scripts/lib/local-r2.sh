# Shared by the demo and the labs: a local S3 server standing in for Cloudflare R2,
# Terraform wired to the freshly built provider, and helpers for readable output.
# Source it; it defines functions and exports the environment, it runs nothing.

GUARDRAIL_ROOT="${GUARDRAIL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# The dev-profile binaries `make build` (and `make test`) make: the scenarios need
# no optimised code, and a fresh clone reaches its first stopped unsafe path
# without an optimised build. GUARDRAIL_BIN_DIR=…/release runs them on release builds.
GUARDRAIL_BIN_DIR="${GUARDRAIL_BIN_DIR:-${CARGO_TARGET_DIR:-$GUARDRAIL_ROOT/target}/debug}"
export GUARDRAIL_ROOT GUARDRAIL_BIN_DIR
export PATH="$GUARDRAIL_ROOT/.tools/bin:$GUARDRAIL_BIN_DIR:$PATH"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  _bold=$'\033[1m'; _green=$'\033[32m'; _red=$'\033[31m'; _dim=$'\033[2m'; _reset=$'\033[0m'
else
  _bold=""; _green=""; _red=""; _dim=""; _reset=""
fi

step() { printf '\n%s==> %s%s\n' "$_bold" "$*" "$_reset"; }
ok() { printf '%s  ok%s %s\n' "$_green" "$_reset" "$*"; }
die() { printf '%s  FAILED%s %s\n' "$_red" "$_reset" "$*" >&2; exit 1; }
show() { printf '%s  $ %s%s\n' "$_dim" "$*" "$_reset"; }

# run CMD...: prints the command, runs it, shows its output indented.
run() {
  show "$*"
  "$@" 2>&1 | sed 's/^/    /'
  return "${PIPESTATUS[0]}"
}

# expect_failure PATTERN CMD...: the command must fail and print PATTERN.
expect_failure() {
  local pattern="$1"; shift
  local output status
  show "$*"
  set +e; output="$("$@" 2>&1)"; status=$?; set -e
  printf '%s\n' "$output" | sed 's/^/    /'
  [ "$status" -ne 0 ] || die "expected '$*' to fail, it succeeded"
  grep -q -- "$pattern" <<<"$output" || die "expected the failure to mention: $pattern"
  ok "stopped as expected ($pattern)"
}

_free_port() {
  "$GUARDRAIL_ROOT/.tools/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_local_r2 WORKDIR [durable]: starts moto_server, creates the buckets `tfstate`
# and `guardrails`, writes a CLI configuration with dev_overrides, exports everything.
# With `durable`, the server journals every request to WORKDIR/s3-journal.jsonl
# before it answers (moto's recorder), so `restart_local_r2` after a SIGKILL brings
# back every write the server acknowledged, as R2's own durability would.
start_local_r2() {
  local workdir="$1" port
  mkdir -p "$workdir"
  port="$(_free_port)"
  GUARDRAIL_MOTO_WORKDIR="$workdir" GUARDRAIL_MOTO_PORT="$port"
  GUARDRAIL_MOTO_DURABLE="${2:-}"
  _spawn_moto
  trap stop_local_r2 EXIT
  export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID="AKIALOCALR2DEMO00000" AWS_SECRET_ACCESS_KEY="local-r2-demo-secret"
  export AWS_REGION=auto AWS_EC2_METADATA_DISABLED=true
  export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
  local tries=0
  until "$GUARDRAIL_ROOT/.tools/venv/bin/python" - "$AWS_ENDPOINT_URL_S3" <<'PY' 2>/dev/null
import sys, urllib.request
for bucket in ("tfstate", "guardrails"):
    urllib.request.urlopen(urllib.request.Request(f"{sys.argv[1]}/{bucket}", method="PUT"), timeout=2)
PY
  do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || die "the local S3 server did not start (see $workdir/moto.log)"
    sleep 0.1
  done
  # `terraform init` still installs overridden providers: a local filesystem mirror
  # linking the same binary satisfies it without a registry.
  local platform_dir="$workdir/provider-mirror/registry.terraform.io/sre-control-plane/guardrail/0.1.0/linux_amd64"
  mkdir -p "$platform_dir"
  ln -sf "$GUARDRAIL_BIN_DIR/terraform-provider-guardrail" "$platform_dir/terraform-provider-guardrail"
  cat >"$workdir/terraformrc" <<CFG
provider_installation {
  dev_overrides {
    "sre-control-plane/guardrail" = "$GUARDRAIL_BIN_DIR"
  }
  filesystem_mirror {
    path    = "$workdir/provider-mirror"
    include = ["registry.terraform.io/sre-control-plane/guardrail"]
  }
  direct {
    exclude = ["registry.terraform.io/sre-control-plane/guardrail"]
  }
}
CFG
  export TF_CLI_CONFIG_FILE="$workdir/terraformrc"
}

# install_provider_from_release WORKDIR: installs the provider as a user does, not
# through dev_overrides: packs the freshly built binary into the release zip
# (scripts/package_release.py, as release.yml does), lays the zip out as a
# filesystem mirror in WORKDIR/provider-release/mirror and points Terraform's CLI
# configuration at that mirror only. `terraform providers lock` and `terraform init`
# then record and check the zip's hashes; docs/install.md has the same steps.
install_provider_from_release() {
  local workdir="$1/provider-release" version platform os arch
  version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$GUARDRAIL_ROOT/Cargo.toml" | head -n 1)"
  platform="$(terraform_platform)"
  os="${platform%_*}" arch="${platform#*_}"
  mkdir -p "$workdir"
  "$GUARDRAIL_ROOT/.tools/venv/bin/python" "$GUARDRAIL_ROOT/scripts/package_release.py" --version "$version" \
    --os "$os" --arch "$arch" --bin-dir "$GUARDRAIL_BIN_DIR" --dist "$workdir/dist" --only terraform-provider-guardrail >/dev/null
  "$GUARDRAIL_ROOT/.tools/venv/bin/python" "$GUARDRAIL_ROOT/scripts/package_release.py" mirror \
    --dist "$workdir/dist" --fs-mirror "$workdir/mirror" >/dev/null
  cat >"$workdir/terraformrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$workdir/mirror"
    include = ["registry.terraform.io/sre-control-plane/guardrail"]
  }
  direct {
    exclude = ["registry.terraform.io/sre-control-plane/guardrail"]
  }
}
CFG
  export TF_CLI_CONFIG_FILE="$workdir/terraformrc"
  GUARDRAIL_PROVIDER_MIRROR="$workdir/mirror" GUARDRAIL_PROVIDER_DIST="$workdir/dist"
  export GUARDRAIL_PROVIDER_MIRROR GUARDRAIL_PROVIDER_DIST
}

# terraform_platform: this machine as Terraform names platforms (linux_amd64, ...).
terraform_platform() {
  local os arch
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch="$(uname -m)" ;;
  esac
  printf '%s_%s\n' "$os" "$arch"
}

_spawn_moto() {
  if [ "$GUARDRAIL_MOTO_DURABLE" = durable ]; then
    MOTO_ENABLE_RECORDING=True MOTO_RECORDER_FILEPATH="$GUARDRAIL_MOTO_WORKDIR/s3-journal.jsonl" \
      moto_server -H 127.0.0.1 -p "$GUARDRAIL_MOTO_PORT" >>"$GUARDRAIL_MOTO_WORKDIR/moto.log" 2>&1 &
  else
    moto_server -H 127.0.0.1 -p "$GUARDRAIL_MOTO_PORT" >>"$GUARDRAIL_MOTO_WORKDIR/moto.log" 2>&1 &
  fi
  GUARDRAIL_MOTO_PID=$!
}

# local_r2_gone: true once the server process has ended, waiting up to 5 s. A killed
# server is this shell's child, and stays a zombie (which `kill -0` still finds)
# until the shell reaps it, which it does while it waits on something else.
local_r2_gone() {
  local tries
  for tries in $(seq 1 50); do
    kill -0 "$GUARDRAIL_MOTO_PID" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# restart_local_r2: after the server died (or was killed), starts a new one on the
# same endpoint and replays the journal of a `durable` server into it: every object
# written before the crash is back, and the journal goes on recording.
restart_local_r2() {
  [ "$GUARDRAIL_MOTO_DURABLE" = durable ] || die "restart_local_r2 needs a server started with: start_local_r2 DIR durable"
  local_r2_gone || die "the S3 server (pid $GUARDRAIL_MOTO_PID) is still running"
  wait "$GUARDRAIL_MOTO_PID" 2>/dev/null || true
  _spawn_moto
  local tries=0
  until "$GUARDRAIL_ROOT/.tools/venv/bin/python" - "$AWS_ENDPOINT_URL_S3" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(f"{sys.argv[1]}/moto-api/recorder/replay-recording", method="POST"), timeout=60)
PY
  do
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || die "the restarted S3 server did not replay its journal (see $GUARDRAIL_MOTO_WORKDIR/moto.log)"
    sleep 0.1
  done
}

stop_local_r2() {
  if [ -n "${GUARDRAIL_MOTO_PID:-}" ]; then
    # moto may ignore SIGTERM for a while: give it a moment, then SIGKILL.
    kill -TERM "$GUARDRAIL_MOTO_PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$GUARDRAIL_MOTO_PID" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$GUARDRAIL_MOTO_PID" 2>/dev/null || true
    wait "$GUARDRAIL_MOTO_PID" 2>/dev/null || true
    GUARDRAIL_MOTO_PID=""
  fi
}

# backend_args KEY: -backend-config flags for the R2-shaped S3 backend on the local server.
backend_args() {
  printf '%s\n' \
    "-backend-config=bucket=tfstate" \
    "-backend-config=key=$1" \
    "-backend-config=endpoints={s3=\"$AWS_ENDPOINT_URL_S3\"}"
}

# s3_keys BUCKET PREFIX: lists the keys under PREFIX on the local server.
s3_keys() {
  "$GUARDRAIL_ROOT/.tools/venv/bin/python" - "$1" "$2" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[1], Prefix=sys.argv[2]):
    for item in page.get("Contents", []):
        print(item["Key"])
PY
}

# s3_get BUCKET KEY: prints one object from the local server.
s3_get() {
  "$GUARDRAIL_ROOT/.tools/venv/bin/python" - "$1" "$2" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], region_name="us-east-1")
sys.stdout.write(s3.get_object(Bucket=sys.argv[1], Key=sys.argv[2])["Body"].read().decode())
PY
}
