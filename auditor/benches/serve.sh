#!/usr/bin/env bash
# Benchmark of `tfaudit serve`: COUNT state objects (default 1,000 and 10,000, copies
# of the kube-hetzner fixture, plus one lockfile per ten states) in a bucket on a local
# moto server. For each COUNT it prints the cold cycle (everything fetched), a warm
# cycle with 1% of the states changed, a warm cycle with nothing changed (listing
# only), the advisor's peak RSS, and `wrk` on /metrics and /api/v1/report (requests
# per second, p99 latency). Loopback only; every load run is bounded in time.
#
#   auditor/benches/serve.sh [COUNT...]      default: 1000 10000
#
# Builds tfaudit in release mode into $CARGO_TARGET_DIR (default target/) unless
# TFAUDIT_BIN names a binary. Environment: WRK_DURATION (default 5s), WRK_CONNECTIONS
# (default 32), MOTO_SERVER, BENCH_PYTHON (as auditor/benches/state.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
fixture="$root/auditor/tests/data/states/cluster.tfstate"
duration="${WRK_DURATION:-5s}"
connections="${WRK_CONNECTIONS:-32}"
counts=("$@")
if [[ ${#counts[@]} -eq 0 ]]; then
  counts=(1000 10000)
fi

bin="${TFAUDIT_BIN:-}"
if [[ -z "$bin" ]]; then
  echo "building tfaudit (release)..." >&2
  (cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo build --release -p tfaudit --bin tfaudit)
  bin="$target_dir/release/tfaudit"
fi
[[ -x "$bin" ]] || { echo "auditor/benches/serve.sh: no tfaudit binary at $bin" >&2; exit 2; }
command -v wrk >/dev/null 2>&1 || { echo "auditor/benches/serve.sh: wrk is missing (make setup)" >&2; exit 2; }
moto="${MOTO_SERVER:-$(command -v moto_server || true)}"
[[ -n "$moto" ]] || { echo "auditor/benches/serve.sh: moto_server not found (run make setup)" >&2; exit 2; }
python="${BENCH_PYTHON:-$(cd "$(dirname "$0")/../.." && pwd)/.tools/venv/bin/python}"
[[ -x "$python" ]] || python=python3
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

port="$(free_port)"
log="$(mktemp)"
"$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
advisor_pid=""
cleanup() {
  if [[ -n "$advisor_pid" ]]; then kill "$advisor_pid" 2>/dev/null || true; fi
  kill "$moto_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT

export AWS_ACCESS_KEY_ID=AKIABENCH00000000000 AWS_SECRET_ACCESS_KEY=bench-secret \
  AWS_REGION=auto AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true

seed() { # bucket count first-changed how-many serial
  "$python" - "$port" "$fixture" "$@" <<'PY'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
import boto3
port, fixture, bucket, count, first, many, serial = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:8])
endpoint = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(f"{endpoint}/moto-api/data.json")
        break
    except OSError:
        time.sleep(0.1)
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="x", aws_secret_access_key="y")
if first == 0 and serial == 1:
    s3.create_bucket(Bucket=bucket)
base = json.load(open(fixture))
def put(index):
    state = dict(base, serial=serial + index, lineage=f"00000000-0000-4000-8000-{index:012d}")
    key = f"clusters/{index:05d}/terraform.tfstate"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(state).encode())
    if serial == 1 and index % 10 == 0:
        lock = {"ID": f"lock-{index}", "Operation": "OperationTypeApply", "Info": "", "Who": "ci@bench",
                "Version": "1.11.4", "Created": "2020-01-01T00:00:00Z", "Path": key}
        s3.put_object(Bucket=bucket, Key=key + ".tflock", Body=json.dumps(lock).encode())
with ThreadPoolExecutor(16) as pool:
    list(pool.map(put, range(first, first + many)))
PY
}

metric() { curl -sf "http://$address/metrics" | awk -v name="$1" 'index($0, name) == 1 && !found {print $NF; found = 1}'; }
cycles() { metric 'guardrail_advisor_cycles_total{outcome="complete"}'; }
report_field() { curl -sf "http://$address/api/v1/report" | "$python" -c "import json,sys; print(json.load(sys.stdin)['summary']['$1'])"; }
reaudit() { # waits for one more complete cycle after an event
  local before; before="$(cycles)"
  curl -sf -o /dev/null -X POST -H "X-Flux-Token: bench-token" -d '{"involvedObject":{"name":"bench"}}' \
    "http://$address/api/v1/events"
  for _ in $(seq 1 600); do
    [[ "$(cycles)" != "$before" ]] && return 0
    sleep 0.1
  done
  echo "no cycle after the event" >&2; return 1
}
wrk_line() { # url
  wrk -t2 -c"$connections" -d"$duration" --latency "$1" |
    awk '/Requests\/sec/ {rps=$2} $1 == "99%" {p99=$2} END {printf "rps=%s p99=%s", rps, p99}'
}

for count in "${counts[@]}"; do
  bucket="serve-bench-$count"
  seed "$bucket" "$count" 0 "$count" 1
  address="127.0.0.1:$(free_port)"
  TFAUDIT_LOG=warn "$bin" serve --target "bench=s3://$bucket/clusters/" --listen "$address" \
    --interval 1h --cycle-timeout 10m --flux-token bench-token &
  advisor_pid=$!
  for _ in $(seq 1 3000); do
    curl -sf -o /dev/null "http://$address/readyz" && break
    sleep 0.1
  done
  cold_ms="$(report_field duration_ms)"
  changed=$((count / 100))
  seed "$bucket" "$count" 0 "$changed" 1000000
  reaudit
  warm_ms="$(report_field duration_ms)"
  warm_fetched="$(report_field objects_fetched)"
  reaudit
  idle_ms="$(report_field duration_ms)"
  idle_fetched="$(report_field objects_fetched)"
  rss_kib="$(awk '/VmHWM/ {print $2}' "/proc/$advisor_pid/status")"
  echo "states=$count cold=${cold_ms}ms warm_1pct=${warm_ms}ms (fetched $warm_fetched)" \
    "warm_unchanged=${idle_ms}ms (fetched $idle_fetched) peak_rss=$((rss_kib / 1024))MiB"
  echo "  /metrics        $(wrk_line "http://$address/metrics")"
  echo "  /api/v1/report  $(wrk_line "http://$address/api/v1/report") bytes=$(curl -sf "http://$address/api/v1/report" | wc -c)"
  kill "$advisor_pid"
  wait "$advisor_pid" 2>/dev/null || true
  advisor_pid=""
done
