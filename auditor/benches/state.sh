#!/usr/bin/env bash
# Benchmark of `tfaudit state`: COUNT state objects (default 1,000, each a copy of
# the kube-hetzner fixture, ~14 KB, 12 resources) plus one lockfile per ten states
# in a bucket on a local moto server, audited through one prefix. Prints the wall
# time, the CPU time and the peak resident memory of the audit for each COUNT;
# several counts show whether memory stays bounded as the bucket grows (the local
# moto server, one Python process, is usually the bottleneck).
#
#   auditor/benches/state.sh [COUNT...]      default: 1000
#
# Builds tfaudit in release mode into $CARGO_TARGET_DIR (default target/) unless
# TFAUDIT_BIN names a binary. Environment: CONCURRENCY (--concurrency, default 16),
# MOTO_SERVER (default: moto_server on PATH), BENCH_PYTHON (a Python with boto3;
# default: the project virtualenv's, which has it).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
concurrency="${CONCURRENCY:-16}"
fixture="$root/auditor/tests/data/states/cluster.tfstate"
counts=("$@")
if [[ ${#counts[@]} -eq 0 ]]; then
  counts=(1000)
fi

bin="${TFAUDIT_BIN:-}"
if [[ -z "$bin" ]]; then
  echo "building tfaudit (release)..." >&2
  (cd "$root" && CARGO_TARGET_DIR="$target_dir" cargo build --release -p tfaudit --bin tfaudit)
  bin="$target_dir/release/tfaudit"
fi
[[ -x "$bin" ]] || { echo "auditor/benches/state.sh: no tfaudit binary at $bin" >&2; exit 2; }

moto="${MOTO_SERVER:-$(command -v moto_server || true)}"
[[ -n "$moto" ]] || { echo "auditor/benches/state.sh: moto_server not found (run make setup)" >&2; exit 2; }
python="${BENCH_PYTHON:-$(cd "$(dirname "$0")/../.." && pwd)/.tools/venv/bin/python}"
[[ -x "$python" ]] || python=python3

port="$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
"$moto" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; rm -f "$log"' EXIT

export AWS_ACCESS_KEY_ID=AKIABENCH00000000000 AWS_SECRET_ACCESS_KEY=bench-secret \
  AWS_REGION=auto AWS_ENDPOINT_URL_S3="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true

for count in "${counts[@]}"; do
  bucket="tfaudit-bench-$count"
  "$python" - "$port" "$count" "$fixture" "$bucket" <<'PY'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
import boto3

port, count, fixture, bucket = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
endpoint = f"http://127.0.0.1:{port}"
for _ in range(100):
    try:
        urllib.request.urlopen(f"{endpoint}/moto-api/data.json")
        break
    except OSError:
        time.sleep(0.1)
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="x", aws_secret_access_key="y")
s3.create_bucket(Bucket=bucket)
base = json.load(open(fixture))

def seed(index):
    state = dict(base, serial=index + 1, lineage=f"00000000-0000-4000-8000-{index:012d}")
    key = f"clusters/{index:05d}/terraform.tfstate"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(state).encode())
    if index % 10 == 0:
        lock = {"ID": f"lock-{index}", "Operation": "OperationTypeApply", "Info": "", "Who": "ci@bench",
                "Version": "1.11.4", "Created": "2020-01-01T00:00:00Z", "Path": key}
        s3.put_object(Bucket=bucket, Key=key + ".tflock", Body=json.dumps(lock).encode())

started = time.time()
with ThreadPoolExecutor(16) as pool:
    list(pool.map(seed, range(count)))
print(f"seeded {count} states in {time.time() - started:.1f} s", file=sys.stderr)
PY

  "$python" - "$bin" "$concurrency" "$bucket" <<'PY'
import json, resource, subprocess, sys, time
tfaudit, concurrency, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
started = time.monotonic()
run = subprocess.run([tfaudit, "state", f"s3://{bucket}/clusters/", "--concurrency", concurrency,
                      "--format", "json", "--fail-on", "never"], capture_output=True)
elapsed = time.monotonic() - started
# This Python process has one child, the audit: its peak RSS and CPU time.
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
peak_kib = usage.ru_maxrss
cpu = usage.ru_utime + usage.ru_stime
if run.returncode != 0:
    sys.stderr.write(run.stderr.decode())
    sys.exit(run.returncode)
report = json.loads(run.stdout)
summary = report["summary"]
print(f"states={summary['states']} locks={summary['locks']} resources={summary['resources']} "
      f"findings={len(report['findings'])} concurrency={concurrency} "
      f"wall={elapsed:.2f}s cpu={cpu:.2f}s peak_rss={peak_kib / 1024:.1f}MiB")
PY
done
