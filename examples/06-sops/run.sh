#!/usr/bin/env bash
# Lab 06 (chapter 3): a plaintext Secret under flux/ is refused, so is an encrypted
# one that no .sops.yaml creation rule covers; a SOPS-encrypted Secret under the
# production rule passes. The secret value never appears in any output.
set -euo pipefail
[ "$#" -eq 0 ] || { echo "usage: $0 (no arguments; LAB_WORKDIR names the working folder)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../scripts/lib/local-r2.sh"
source "$GUARDRAIL_ROOT/scripts/lib/gitops-lab.sh"
work="${LAB_WORKDIR:-$(mktemp -d)}"
mkdir -p "$work"
secret_value="lab-plaintext-password-do-not-use"
list_secret() {
  sed -i 's|^  - namespace.yaml$|  - namespace.yaml\n  - db-credentials.yaml|' "$1/flux/apps/production/kustomization.yaml"
}
# never_printed FILE: the secret value is not in FILE (a lab's whole output).
never_printed() {
  if grep -qF -- "$secret_value" "$1"; then die "the secret value was printed"; fi
  ok "the value of the Secret appears in no output"
}

step "the rules: who may decrypt what, by path (.sops.yaml)"
gitops_copy "$work/repo"
run grep -E '^  - path_regex|^    age:' "$work/repo/.sops.yaml"
run policy secrets "$work/repo"

step "unsafe path 1: a plaintext Secret committed to the production overlay"
overlay "$here/unsafe" "$work/repo"
list_secret "$work/repo"
expect_refused secrets "$work/repo" \
  "flux/apps/production/db-credentials.yaml: Secret db-credentials is not SOPS-encrypted (no \`sops:\` metadata)" | tee "$work/unsafe.log"
expect_refused tree "$work/repo" \
  "apps-production: Secret production/db-credentials: a Secret without SOPS encryption" | tee -a "$work/unsafe.log"
never_printed "$work/unsafe.log"

step "unsafe path 2: encrypted, but moved to base where no creation rule applies"
gitops_copy "$work/repo"
overlay "$here/misplaced" "$work/repo"
expect_refused secrets "$work/repo" \
  "flux/apps/base/podinfo/db-credentials.yaml: no .sops.yaml creation rule covers this Secret's path"

step "safe path: encrypted under the production rule (sops --encrypt --in-place)"
gitops_copy "$work/repo"
overlay "$here/safe" "$work/repo"
list_secret "$work/repo"
recipient="$(sed -n '/path_regex: ^flux\/apps\/production/,/age:/s/^    age: //p' "$work/repo/.sops.yaml")"
grep -qF -- "recipient: $recipient" "$work/repo/flux/apps/production/db-credentials.yaml" \
  || die "the Secret is not encrypted for production's recipient $recipient"
ok "encrypted for production's recipient $recipient"
{ run policy secrets "$work/repo"; run policy tree "$work/repo"; } | tee "$work/safe.log"
never_printed "$work/safe.log"
ok "the encrypted Secret passes both checks"
