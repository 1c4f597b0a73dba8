#!/usr/bin/env bash
# Writes an image tag into the production overlay of the GitOps tree, and with
# --commit records the promotion as a commit whose trailers tie the commit to the
# image tag (and, through Flux's applied revision, to the deployment).
#
#   scripts/promote.sh [--file FILE] [--policy POLICY] [--commit] IMAGE TAG
#
# FILE (or PROMOTE_FILE) is a kustomization.yaml; default
# flux/apps/production/kustomization.yaml. The tag goes into the `images:` entry
# whose `name` is IMAGE (`newTag`); the entry, or the whole `images:` list, is added
# when missing. Only that entry changes, and its setter comment
# (`# {"$imagepolicy": ...}`) is kept.
#
# POLICY (or PROMOTE_POLICY_FILE; default
# flux/infrastructure/image-automation/podinfo-policies.yaml, skipped when that
# default does not exist) holds the ImagePolicy whose range line is marked
# `# promotion: production version`: its range becomes TAG too, so the image
# automation keeps what the promotion wrote. A TAG written there must be a plain
# release X.Y.Z.
#
# With --commit, the commit message carries these trailers (empty ones are left out):
#   Promoted-Image:       IMAGE:TAG
#   Promoted-Environment: PROMOTE_ENVIRONMENT (default production)
#   Promoted-From:        PROMOTE_SOURCE_COMMIT (default: HEAD before the commit)
#   Previous-Tag:         the tag the entry had
#   Gate-Record:          PROMOTE_GATE_RECORD (the audit record of `tfaudit gate`)
#   Break-Glass-Ticket:   PROMOTE_BREAK_GLASS_TICKET
#   Workflow-Run:         PROMOTE_RUN_URL
#
# Prints key=value lines (file, image, tag, previous_tag, commit) for $GITHUB_OUTPUT.
# Exit 0 on success, 1 when the file cannot be updated, 2 on bad arguments.
set -euo pipefail

usage() {
  sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

file="${PROMOTE_FILE:-flux/apps/production/kustomization.yaml}"
default_policy=flux/infrastructure/image-automation/podinfo-policies.yaml
policy="${PROMOTE_POLICY_FILE:-}"
commit=false
positional=()
while [ "$#" -gt 0 ]; do
  case "$1" in
    --file) [ "$#" -ge 2 ] || usage; file="$2"; shift 2 ;;
    --file=*) file="${1#--file=}"; shift ;;
    --policy) [ "$#" -ge 2 ] || usage; policy="$2"; shift 2 ;;
    --policy=*) policy="${1#--policy=}"; shift ;;
    --commit) commit=true; shift ;;
    -h | --help) usage ;;
    --) shift; positional+=("$@"); break ;;
    -*) echo "promote: unknown option $1" >&2; usage ;;
    *) positional+=("$1"); shift ;;
  esac
done
[ "${#positional[@]}" -eq 2 ] || usage
image="${positional[0]}"
tag="${positional[1]}"

# An OCI tag: at most 128 characters of [A-Za-z0-9_.-], not starting with . or -.
if ! [[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  echo "promote: tag '$tag' is not a valid image tag" >&2
  exit 2
fi
if ! [[ "$image" =~ ^[a-z0-9][a-z0-9._/:-]*$ ]] || [[ "${image##*/}" == *:* ]]; then
  echo "promote: image '$image' is not an image name (registry/path, no tag)" >&2
  exit 2
fi
if [ -z "$policy" ] && [ -f "$default_policy" ]; then
  policy="$default_policy"
fi
marker='# promotion: production version'
if [ -n "$policy" ]; then
  if ! [[ "$tag" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "promote: tag '$tag' is not a plain release X.Y.Z, which $policy takes" >&2
    exit 2
  fi
  if [ ! -f "$policy" ]; then
    echo "promote: $policy does not exist; set PROMOTE_POLICY_FILE or --policy to the production ImagePolicy" >&2
    exit 1
  fi
  marked="$(grep -c -- "range: .*$marker" "$policy" || true)"
  if [ "$marked" != 1 ]; then
    echo "promote: $policy: expected one range line marked '$marker', found $marked" >&2
    exit 1
  fi
fi
if [ ! -f "$file" ]; then
  echo "promote: $file does not exist; set PROMOTE_FILE or --file to the production overlay" >&2
  exit 1
fi

previous="$(awk -v image="$image" '
  function unquote(v) { gsub(/^[ \t]+|[ \t]+$/, "", v); gsub(/^["\047]|["\047]$/, "", v); return v }
  /^images:[ \t]*$/ { inside = 1; next }
  inside && /^[^ \t#-]/ { inside = 0 }
  inside && /^[ \t]*- / { entry = 0 }
  inside && /^[ \t]*(- )?name:/ { v = $0; sub(/^[ \t]*(- )?name:/, "", v); entry = (unquote(v) == image) }
  inside && entry && /^[ \t]*(- )?newTag:/ { v = $0; sub(/^[ \t]*(- )?newTag:/, "", v); sub(/[ \t]+#.*$/, "", v); print unquote(v); exit }
' "$file")"

updated="$(mktemp "${file}.XXXXXX")"
trap 'rm -f "$updated"' EXIT
awk -v image="$image" -v tag="$tag" '
  function unquote(v) { gsub(/^[ \t]+|[ \t]+$/, "", v); gsub(/^["\047]|["\047]$/, "", v); return v }
  function entry_for(indent) { return indent "- name: " image "\n" indent "  newTag: \"" tag "\"" }
  function close_entry() {
    if (entry && !written) { print key_indent "newTag: \"" tag "\""; written = 1 }
    entry = 0
  }
  /^images:[ \t]*$/ { print; inside = 1; seen = 1; next }
  inside && /^[^ \t#-]/ {
    close_entry()
    if (!written) { print entry_for(dash_indent == "" ? "  " : dash_indent); written = 1 }
    inside = 0
  }
  inside && /^[ \t]*- / {
    close_entry()
    dash_indent = $0; sub(/-.*/, "", dash_indent)
  }
  inside && /^[ \t]*(- )?name:/ {
    v = $0; sub(/^[ \t]*(- )?name:/, "", v)
    if (unquote(v) == image && !written) { entry = 1; key_indent = dash_indent "  " }
  }
  inside && entry && /^[ \t]*newTag:/ {
    line = $0; sub(/newTag:.*/, "", line)
    comment = ""; if (match($0, /[ \t]+#.*$/)) comment = substr($0, RSTART)
    print line "newTag: \"" tag "\"" comment; written = 1; entry = 0; next
  }
  { print }
  END {
    if (inside) { close_entry(); if (!written) print entry_for(dash_indent == "" ? "  " : dash_indent) }
    else if (!seen) { print "images:"; print entry_for("  ") }
  }
' "$file" > "$updated"
cat "$updated" > "$file"
if [ -n "$policy" ]; then
  sed -E "s|^([[:space:]]*range:[[:space:]]*).*(# promotion: production version.*)$|\1'$tag' \2|" "$policy" > "$updated"
  cat "$updated" > "$policy"
fi

echo "promote: $file${policy:+ and $policy}: $image ${previous:-(none)} -> $tag" >&2
echo "file=$file"
echo "policy=$policy"
echo "image=$image"
echo "tag=$tag"
echo "previous_tag=$previous"

if [ "$commit" = true ]; then
  source_commit="${PROMOTE_SOURCE_COMMIT:-$(git rev-parse HEAD)}"
  environment="${PROMOTE_ENVIRONMENT:-production}"
  trailers=(
    --trailer "Promoted-Image: $image:$tag"
    --trailer "Promoted-Environment: $environment"
    --trailer "Promoted-From: $source_commit"
  )
  [ -z "$previous" ] || trailers+=(--trailer "Previous-Tag: $previous")
  [ -z "${PROMOTE_GATE_RECORD:-}" ] || trailers+=(--trailer "Gate-Record: $PROMOTE_GATE_RECORD")
  [ -z "${PROMOTE_BREAK_GLASS_TICKET:-}" ] || trailers+=(--trailer "Break-Glass-Ticket: $PROMOTE_BREAK_GLASS_TICKET")
  [ -z "${PROMOTE_RUN_URL:-}" ] || trailers+=(--trailer "Workflow-Run: $PROMOTE_RUN_URL")
  paths=("$file")
  [ -z "$policy" ] || paths+=("$policy")
  git add -- "${paths[@]}"
  if git diff --cached --quiet -- "${paths[@]}"; then
    echo "promote: $environment already runs $image:$tag; nothing to commit" >&2
    echo "commit=$(git rev-parse HEAD)"
    exit 0
  fi
  git commit --quiet -m "Promote ${image##*/} $tag to $environment" "${trailers[@]}" -- "${paths[@]}"
  echo "commit=$(git rev-parse HEAD)"
fi
