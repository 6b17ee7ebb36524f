#!/usr/bin/env bash
# Installs a headless Chromium for `launchbench bench --runtime chromium` and the browser tests:
# Debian's chromium-headless-shell (bookworm: 156; 19 packages, about 300 MB installed), without
# recommends (they pull in about 115 packages and upgrade systemd). puppeteer-core drives it; it
# downloads no browser of its own. Without a GPU its WebGPU adapter is SwiftShader.
# Idempotent: does nothing when a Chromium is already where launchbench looks for one.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

for found in "${LAUNCHBENCH_CHROMIUM:-}" /usr/bin/chromium-headless-shell \
  /usr/lib/chromium/headless_shell /usr/bin/chromium /usr/bin/chromium-browser \
  /usr/bin/google-chrome-stable /usr/bin/google-chrome; do
  if [ -n "$found" ] && [ -x "$found" ]; then
    echo "install-chromium: $found already installed ($("$found" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null; then
  echo "install-chromium: no apt-get here; install Chromium or Chrome and set LAUNCHBENCH_CHROMIUM to its binary" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null

for found in /usr/bin/chromium-headless-shell /usr/lib/chromium/headless_shell; do
  if [ -x "$found" ]; then
    echo "install-chromium: installed $found ($("$found" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
  fi
done
echo "install-chromium: chromium-headless-shell installed, but no headless shell found" >&2
exit 1
