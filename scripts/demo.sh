#!/usr/bin/env bash
# The main job: the guardrail loop end to end on this machine. A local S3 server
# stands in for Cloudflare R2; Terraform drives the freshly built provider; tfaudit
# audits plans. Runs the quickstart, then every lab in order.
set -euo pipefail
source "$(dirname "$0")/lib/local-r2.sh"

for bin in terraform-provider-guardrail tfaudit platform-policy; do
  [ -x "$GUARDRAIL_BIN_DIR/$bin" ] || die "$GUARDRAIL_BIN_DIR/$bin is missing: run \`make build\` (make demo does it)"
done

demo_dir="$GUARDRAIL_ROOT/.demo"
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
step "starting the local S3 server (stand-in for Cloudflare R2)"
start_local_r2 "$demo_dir/r2"
ok "listening on $AWS_ENDPOINT_URL_S3 with buckets tfstate and guardrails"

passed=0
for lab in "$GUARDRAIL_ROOT"/examples/[0-9][0-9]-*/; do
  name="$(basename "$lab")"
  # A lab that cannot run is a failed lab, never a skipped one.
  [ -f "$lab/run.sh" ] || die "$name has no run.sh"
  [ -x "$lab/run.sh" ] || die "$name/run.sh is not executable (chmod +x, and commit the mode)"
  printf '\n%s######## %s ########%s\n' "$_bold" "$name" "$_reset"
  LAB_WORKDIR="$demo_dir/$name" bash "$lab/run.sh"
  passed=$((passed + 1))
done

printf '\n%sdemo complete: %d scenarios passed%s\n' "$_green$_bold" "$passed" "$_reset"
