#!/usr/bin/env bash
# Lab 07 (chapter 4): promoting an image to production while production is frozen is
# stopped by the promotion gate (`tfaudit gate`) before scripts/promote.sh touches the
# overlay; after the freeze the same promotion passes, is committed with its trailers
# and the promoted tree passes the platform policy.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
source "$GUARDRAIL_ROOT/scripts/lib/gitops-lab.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
# Its own S3 server: in the demo, lab 05 leaves production frozen in the shared one.
start_local_r2 "$work/r2"
store=s3://guardrails/guardrail/
image=ghcr.io/stefanprodan/podinfo
overlay_file=flux/apps/production/kustomization.yaml

# The GitOps repository the promotion commits to: a scratch clone of the tree.
gitops_copy "$work/repo"
git -C "$work/repo" init -q -b main
git -C "$work/repo" -c user.name=lab -c user.email=lab@example.org add -A
git -C "$work/repo" -c user.name=lab -c user.email=lab@example.org commit -qm "the GitOps tree"
before="$(sha256sum "$work/repo/$overlay_file")"

# promote TAG [gate flags...]: the promotion workflow's two steps, gate then write.
promote() {
  local tag="$1"; shift
  tfaudit gate --environment production --store "$store" --change "promote $image:$tag" "$@" \
    | tee "$work/gate.txt" || return 1
  local record
  record="$(sed -n 's/^  audit record: //p' "$work/gate.txt")"
  (cd "$work/repo" && PROMOTE_GATE_RECORD="$record" GIT_AUTHOR_NAME=lab GIT_AUTHOR_EMAIL=lab@example.org \
    GIT_COMMITTER_NAME=lab GIT_COMMITTER_EMAIL=lab@example.org \
    bash "$GUARDRAIL_ROOT/scripts/promote.sh" --commit "$image" "$tag")
}

step "an incident is open: on-call freezes production"
cp -r "$here/freeze" "$work/"
(cd "$work/freeze" && run terraform init -no-color -input=false | grep -E 'successfully initialized' \
  && run terraform apply -auto-approve -no-color | grep -E 'Apply complete')
run tfaudit lock status --environment production --store "$store"

step "unsafe path: the release manager promotes 6.8.0 to production anyway"
expect_failure "INC-5120" promote 6.8.0
[ "$(sha256sum "$work/repo/$overlay_file")" = "$before" ] || die "the overlay changed although the gate refused"
ok "the production overlay is untouched: nothing for Flux to apply"

step "safe path: the incident is over, on-call lifts the freeze"
(cd "$work/freeze" && run terraform destroy -auto-approve -no-color | grep -E 'Destroy complete')
run promote 6.8.0
# The setter marker is literal text, not a shell expansion.
# shellcheck disable=SC2016
grep -qF 'newTag: "6.8.0" # {"$imagepolicy": "flux-system:podinfo-production:tag"}' "$work/repo/$overlay_file" \
  || die "the overlay does not carry 6.8.0 with its setter marker"
run git -C "$work/repo" log -1 --format=%B
grep -q '^Gate-Record: audit/production/' <<<"$(git -C "$work/repo" log -1 --format=%B)" || die "the commit has no Gate-Record trailer"
ok "promoted: the commit names the image, the previous tag and the gate's audit record"
run policy tree "$work/repo"

step "rollback: the previous tag goes back through the same gate"
run promote 6.7.1
grep -qF 'newTag: "6.7.1"' "$work/repo/$overlay_file" || die "the rollback did not write 6.7.1"
ok "rolled back to 6.7.1"
