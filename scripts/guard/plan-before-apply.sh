#!/usr/bin/env bash
# `terraform apply` for people at a terminal, only of a saved plan that was made from
# the configuration as it is now and, unless told otherwise, that `tfaudit verify`
# accepts (signed attestation, unspent, for exactly these plan bytes).
#
#   scripts/guard/plan-before-apply.sh [--chdir DIR] --store s3://BUCKET/PREFIX/ PLANFILE
#   scripts/guard/plan-before-apply.sh [--chdir DIR] --unverified PLANFILE   # develop only
#
# --store (or GUARDRAIL_STORE) is where tfaudit finds the attestation; the trusted
# public key comes from --public-key or TFAUDIT_ATTESTATION_PUBLIC_KEY, as for
# `tfaudit verify`. --unverified skips the attestation (with a warning) but never
# the other checks:
#   * PLANFILE exists and is a saved plan (`terraform show` reads it);
#   * every .tf file of the root and its local modules is the one the plan holds
#     (a saved plan applies the configuration it recorded, not the files on disk:
#     an edit after the plan would go unreviewed into nobody's apply);
# then it runs `terraform -chdir=DIR apply -input=false PLANFILE` and nothing else.
#
# Exit: terraform's status when it applies; 1 when refused; 2 on bad arguments.
set -euo pipefail

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

dir="."
store="${GUARDRAIL_STORE:-}"
public_key=()
verify=true
plan=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --chdir | -chdir) [ "$#" -ge 2 ] || usage; dir="$2"; shift 2 ;;
    --chdir=* | -chdir=*) dir="${1#*=}"; shift ;;
    --store) [ "$#" -ge 2 ] || usage; store="$2"; shift 2 ;;
    --store=*) store="${1#--store=}"; shift ;;
    --public-key) [ "$#" -ge 2 ] || usage; public_key+=(--public-key "$2"); shift 2 ;;
    --unverified) verify=false; shift ;;
    -h | --help) usage ;;
    -*) echo "plan-before-apply: unknown option $1" >&2; usage ;;
    *) [ -z "$plan" ] || usage; plan="$1"; shift ;;
  esac
done

refuse() {
  echo "plan-before-apply: refusing to apply: $1" >&2
  exit 1
}

[ -n "$plan" ] || refuse "no saved plan given; run \`terraform -chdir=$dir plan -out=FILE\` and pass FILE"
[ -d "$dir" ] || refuse "$dir is not a directory"
# The plan path as terraform -chdir=DIR sees it.
case "$plan" in
  /*) plan_path="$plan" ;;
  *) plan_path="$dir/$plan" ;;
esac
[ -f "$plan_path" ] || refuse "$plan_path does not exist; plan first with -out"
if ! terraform -chdir="$dir" show -no-color "$plan" > /dev/null 2>&1; then
  refuse "$plan_path is not a saved Terraform plan of $dir"
fi

# The plan's configuration snapshot against the files on disk.
listing="$(unzip -Z1 "$plan_path" 2> /dev/null)" || refuse "$plan_path is not a saved plan (not a plan archive)"
modules="$(unzip -p "$plan_path" tfconfig/modules.json 2> /dev/null)" || refuse "$plan_path holds no configuration snapshot"
changed=()
# Unit separators, not tabs: the root module's key is empty, and read folds leading tabs.
while IFS=$'\x1f' read -r key module_dir; do
  case "$module_dir" in .terraform/*) continue ;; esac # registry modules: pinned, downloaded
  prefix="tfconfig/m-$key/"
  recorded="$(printf '%s\n' "$listing" | awk -v p="$prefix" 'index($0, p) == 1 { f = substr($0, length(p) + 1); if (f !~ /\// && f ~ /\.tf(\.json)?$/) print f }' | sort)"
  on_disk="$(cd "$dir/$module_dir" 2> /dev/null && find . -maxdepth 1 -type f \( -name '*.tf' -o -name '*.tf.json' \) | sed 's#^\./##' | sort)"
  if [ "$recorded" != "$on_disk" ]; then
    changed+=("$module_dir (files added or removed)")
    continue
  fi
  while IFS= read -r file; do
    [ -n "$file" ] || continue
    if ! unzip -p "$plan_path" "$prefix$file" | cmp -s - "$dir/$module_dir/$file"; then
      changed+=("$module_dir/$file")
    fi
  done <<< "$recorded"
done < <(printf '%s' "$modules" | jq -r '.[] | "\(.Key)\u001f\(.Dir)"')
if [ "${#changed[@]}" -gt 0 ]; then
  refuse "the configuration changed since $plan was made (${changed[*]}); plan again"
fi

if [ "$verify" = true ]; then
  [ -n "$store" ] || refuse "no --store (or GUARDRAIL_STORE) for tfaudit verify; --unverified applies an unattested plan (develop only)"
  if ! (cd "$dir" && tfaudit verify "$plan" --store "$store" "${public_key[@]}"); then
    refuse "tfaudit verify did not accept $plan"
  fi
else
  echo "plan-before-apply: warning: --unverified: $plan carries no checked attestation" >&2
fi

echo "plan-before-apply: applying $plan_path" >&2
exec terraform -chdir="$dir" apply -input=false "$plan"
