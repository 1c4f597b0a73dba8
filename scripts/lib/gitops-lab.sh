# Shared by the course's GitOps labs (chapters 3 to 9): a scratch copy of what the
# platform checks read, the change a pull request would make applied to it, and the
# platform's own check (`platform-policy`, the code the tests run) over the copy.
# Source it after local-r2.sh; it defines functions, it runs nothing.

# gitops_copy DEST: copies flux/, docs/runbooks/ and .sops.yaml into DEST.
gitops_copy() {
  local dest="$1"
  rm -rf "$dest"
  mkdir -p "$dest/docs"
  cp -r "$GUARDRAIL_ROOT/flux" "$dest/flux"
  cp -r "$GUARDRAIL_ROOT/docs/runbooks" "$dest/docs/runbooks"
  cp "$GUARDRAIL_ROOT/.sops.yaml" "$dest/.sops.yaml"
}

# policy CHECK DIR: the platform check CHECK (tree, secrets, alerts, runbooks) over DIR.
policy() {
  local bin="$GUARDRAIL_BIN_DIR/platform-policy"
  [ -x "$bin" ] || die "$bin is missing: build it (cargo build --workspace --bins)"
  "$bin" "$1" --root "$2"
}

# overlay FROM DIR: copies the files under FROM (a lab's unsafe/ or safe/ change,
# laid out like the repository) over DIR.
overlay() {
  cp -r "$1/." "$2/"
}

# expect_refused CHECK DIR PATTERN...: the check must fail over DIR and report every
# PATTERN.
expect_refused() {
  local check="$1" dir="$2" output status pattern
  shift 2
  show "platform-policy $check --root $dir"
  set +e; output="$(policy "$check" "$dir" 2>&1)"; status=$?; set -e
  printf '%s\n' "$output" | sed 's/^/    /'
  [ "$status" -eq 1 ] || die "expected platform-policy $check to refuse the change (exit 1), it exited $status"
  for pattern in "$@"; do
    grep -qF -- "$pattern" <<<"$output" || die "expected the refusal to mention: $pattern"
    ok "refused: $pattern"
  done
}
