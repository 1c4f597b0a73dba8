#!/usr/bin/env bash
# Lab 13 (chapter 10): a state damaged by a mistaken `terraform state rm` is restored
# from the backup taken before the work, without R2 object versioning, following
# docs/runbooks/state-rollback.md. Pushing the older serial is refused by Terraform;
# forcing it is caught by `tfaudit state` as a serial regression; the runbook's
# push (same lineage, next serial) passes, and the plan is empty again.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "${AWS_ENDPOINT_URL_S3:-}" ] || start_local_r2 "$work/r2"
key=restore/cluster.tfstate
journal="$work/state-journal.jsonl"
mkdir -p "$work/cluster" "$work/rollback"
cp "$here/main.tf" "$work/cluster/"
cd "$work/cluster"
mapfile -t backend < <(backend_args "$key")
terraform init -input=false -no-color "${backend[@]}" >/dev/null

# serial_of FILE / lineage_of FILE: the fields of a state file.
serial_of() { "$GUARDRAIL_ROOT/.tools/venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$1"; }
lineage_of() { "$GUARDRAIL_ROOT/.tools/venv/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["lineage"])' "$1"; }
audit_state() { tfaudit state "s3://tfstate/$key" --journal "$journal" --format text; }

step "the cluster is applied; the runbook's backup is taken before the maintenance"
run terraform apply -auto-approve -no-color | grep -E 'Apply complete'
terraform state pull > "$work/rollback/backup.tfstate"
printf '    backup: serial %s, lineage %s\n' "$(serial_of "$work/rollback/backup.tfstate")" "$(lineage_of "$work/rollback/backup.tfstate")"
run audit_state
lineage="$(lineage_of "$work/rollback/backup.tfstate")"

step "the incident: a cleanup runs \`terraform state rm\` on the wrong addresses"
run terraform state rm -no-color 'terraform_data.worker' | tail -1
run terraform plan -no-color -input=false | grep -E 'Plan:'
ok "the servers still run, but the state forgot them: the next apply would create three more"
step "the morning audit of the bucket records what it saw (serial and lineage)"
run audit_state

step "unsafe path 1: push the backup back as it is"
expect_failure "serial" terraform state push "$work/rollback/backup.tfstate"

step "unsafe path 2: force it (terraform state push -force)"
terraform state pull > "$work/rollback/broken.tfstate"
run terraform state push -force "$work/rollback/backup.tfstate"
expect_failure "state/serial-regression" audit_state
ok "tfaudit remembers what it saw: another state under a serial already seen is a critical finding"

step "safe path: the runbook's push: same lineage, serial above every serial seen"
highest="$(serial_of "$work/rollback/broken.tfstate")"
next=$((highest + 1))
"$GUARDRAIL_ROOT/.tools/venv/bin/python" - "$work/rollback/backup.tfstate" "$next" "$work/rollback/restore.tfstate" <<'PY'
import json, sys
state = json.load(open(sys.argv[1]))
state["serial"] = int(sys.argv[2])
json.dump(state, open(sys.argv[3], "w"), indent=2)
PY
run terraform state push "$work/rollback/restore.tfstate"
terraform state pull > "$work/rollback/restored.tfstate"
[ "$(lineage_of "$work/rollback/restored.tfstate")" = "$lineage" ] || die "the restored state has another lineage"
restored_serial="$(serial_of "$work/rollback/restored.tfstate")"
[ "$restored_serial" -gt "$highest" ] || die "the restored state's serial $restored_serial is not above $highest"
ok "restored: serial $restored_serial (above $highest, every serial seen), lineage $lineage"
run audit_state
run terraform plan -no-color -input=false -detailed-exitcode | grep -E 'No changes'
ok "the plan is empty: the state knows every server again"
