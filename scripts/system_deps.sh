#!/usr/bin/env bash
# Installs the Debian packages the studio needs when they are missing (root), or says how.
set -euo pipefail
need=()
have() { dpkg -s "$1" >/dev/null 2>&1; }
for pkg in libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglx-mesa0 chromium nodejs; do
  have "$pkg" || need+=("$pkg")
done
command -v npm >/dev/null 2>&1 || have npm || need+=("npm")
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing missing system packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
