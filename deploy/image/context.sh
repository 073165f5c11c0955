#!/usr/bin/env bash
# The Docker build context, made without Docker: copies SOURCE into DEST (absent or empty) leaving out what
# .dockerignore names, so CI builds the image's files from what `docker build` would send, uncommitted work included.
#
#   deploy/image/context.sh SOURCE DEST
#
# Only the forms .dockerignore uses are understood (see its header); anything else is refused rather than misread.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE DEST" >&2
  exit 2
fi
source_dir=$(cd "$1" && pwd)
mkdir -p "$2"
dest_dir=$(cd "$2" && pwd)

excludes=()
while IFS= read -r line || [ -n "$line" ]; do
  line="${line%%[[:space:]]}"
  case "$line" in
    '' | '#'*) continue ;;
    '!'* | *'?'* | *'['* | /* | */) echo "context.sh: .dockerignore form not understood: $line" >&2; exit 1 ;;
    '**/'*) excludes+=(--no-anchored "--exclude=${line#\*\*/}") ;;
    *'**'*) echo "context.sh: .dockerignore form not understood: $line" >&2; exit 1 ;;
    *) excludes+=(--anchored "--exclude=./$line") ;;
  esac
done < "$source_dir/.dockerignore"

# tar matches each pattern against whole member names (./path); `*` stays within one segment, as in Docker.
tar -C "$source_dir" --no-wildcards-match-slash "${excludes[@]}" -cf - . | tar -C "$dest_dir" -xf -
