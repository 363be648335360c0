#!/usr/bin/env bash
# Installs the Debian bookworm packages firebreak needs to build and test, or, given
# package names, just those (install-fuzz-deps.sh). Called by `make`; installs only
# what is missing, so it is safe to run again.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev
  libsqlite3-dev libsqlitecpp-dev libfmt-dev libspdlog-dev
  libtomlplusplus-dev libcli11-dev catch2 sqlite3
  libxml2-utils prometheus-alertmanager chromium fonts-dejavu-core
)
# Node and npm run the browser tests; a machine may have them from elsewhere (NodeSource's
# nodejs carries its own npm, and Debian's npm would conflict with it).
if [ $# -eq 0 ]; then
  command -v node > /dev/null || packages+=(nodejs)
  command -v npm > /dev/null || packages+=(npm)
fi
if [ $# -gt 0 ]; then packages=("$@"); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

browser_packages() {
  # playwright-core, at the version package-lock.json pins, for the browser tests; it drives
  # Debian's chromium, so no browser is downloaded.
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  if [ $# -eq 0 ] && [ ! -d "$dir/node_modules/playwright-core" ]; then
    echo "firebreak: installing the browser tests' npm packages"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  browser_packages "$@"
  exit 0
fi

echo "firebreak: installing missing packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
browser_packages "$@"
