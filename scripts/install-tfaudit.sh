#!/usr/bin/env bash
# Installs a released tfaudit: downloads tfaudit_VERSION_OS_ARCH.tar.gz and
# tfaudit_VERSION_SHA256SUMS from the release, checks the archive's SHA-256
# against the sums file, and unpacks the binary into DEST/bin. Used by the
# GitHub Action (action.yml); works on Linux, macOS and Windows (Git Bash) runners,
# where the Windows release is tfaudit_VERSION_windows_amd64.zip holding tfaudit.exe.
#
#   scripts/install-tfaudit.sh VERSION DEST
#
# Environment: TFAUDIT_RELEASES_URL (default: the GitHub releases of
# TFAUDIT_REPOSITORY, itself defaulting to GITHUB_ACTION_REPOSITORY), whose
# v$VERSION/ holds the assets.
set -euo pipefail

usage() { echo "usage: install-tfaudit.sh VERSION DEST" >&2; exit 2; }
[ "$#" -eq 2 ] || usage
version="${1#v}"
dest="$2"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-.+][0-9A-Za-z.-]+)?$ ]] || {
  echo "install-tfaudit: version '$1' is not a release version (X.Y.Z)" >&2
  exit 2
}

repository="${TFAUDIT_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}"
base="${TFAUDIT_RELEASES_URL:-}"
if [ -z "$base" ]; then
  [ -n "$repository" ] || { echo "install-tfaudit: set TFAUDIT_RELEASES_URL or TFAUDIT_REPOSITORY (owner/name)" >&2; exit 2; }
  base="https://github.com/$repository/releases/download"
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW* | MSYS* | CYGWIN*) os=windows ;;
  *) echo "install-tfaudit: no tfaudit release for $(uname -s)" >&2; exit 2 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install-tfaudit: no tfaudit release for $(uname -m)" >&2; exit 2 ;;
esac

exe=""
archive="tfaudit_${version}_${os}_${arch}.tar.gz"
if [ "$os" = windows ]; then
  exe=".exe"
  archive="tfaudit_${version}_${os}_${arch}.zip"
fi
sums="tfaudit_${version}_SHA256SUMS"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
for asset in "$archive" "$sums"; do
  curl --fail --silent --show-error --location --retry 3 \
    --output "$scratch/$asset" "$base/v$version/$asset" || {
    echo "install-tfaudit: cannot download $base/v$version/$asset" >&2
    exit 1
  }
done

expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1 }' "$scratch/$sums")"
[ -n "$expected" ] || { echo "install-tfaudit: $sums does not list $archive" >&2; exit 1; }
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$scratch/$archive" | cut -d' ' -f1)"
else
  actual="$(shasum -a 256 "$scratch/$archive" | cut -d' ' -f1)"
fi
if [ "$actual" != "$expected" ]; then
  echo "install-tfaudit: $archive has SHA-256 $actual, but $sums says $expected: refusing to install it" >&2
  exit 1
fi

mkdir -p "$dest/bin"
if [ "$os" = windows ]; then
  unzip -q -o "$scratch/$archive" "tfaudit$exe" -d "$scratch"
else
  tar -xzf "$scratch/$archive" -C "$scratch" tfaudit
fi
install -m 0755 "$scratch/tfaudit$exe" "$dest/bin/tfaudit$exe"
echo "installed $("$dest/bin/tfaudit$exe" --version) into $dest/bin"
