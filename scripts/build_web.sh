#!/usr/bin/env bash
# Builds the React page into tabrl/api/static when web/ exists and the build is stale.
set -euo pipefail
[ -f web/package.json ] || exit 0
stamp=tabrl/api/static/.build-stamp
src_hash=$(find web -path web/node_modules -prune -o -path web/dist -prune -o -type f -print0 | sort -z | xargs -0 md5sum | md5sum | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$src_hash" ]; then exit 0; fi
# Dependencies follow the lock file: a changed package-lock.json reinstalls them (npm ci).
lock_hash=$(md5sum web/package-lock.json | cut -c1-16)
if [ ! -d web/node_modules ] || [ "$(cat web/node_modules/.tabrl-lock 2>/dev/null)" != "$lock_hash" ]; then
  (cd web && npm ci --no-audit --no-fund --loglevel=error) && echo "$lock_hash" > web/node_modules/.tabrl-lock
fi
(cd web && npm run build --silent)
rm -rf tabrl/api/static && mkdir -p tabrl/api/static && cp -r web/dist/. tabrl/api/static/
echo "$src_hash" > "$stamp"
