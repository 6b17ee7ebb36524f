#!/usr/bin/env bash
# Installs a Firefox for `launchbench bench --runtime firefox` and its tests: Debian's firefox-esr
# (bookworm-security: 153 ESR; 8 packages, about 80 MB to download), without recommends.
# puppeteer-core drives it over WebDriver BiDi; it downloads no browser of its own. Its WebGPU
# (wgpu) takes the machine's Vulkan driver: without a GPU, Mesa's lavapipe
# (scripts/install-lavapipe.sh). Idempotent: does nothing when a Firefox is already where
# launchbench looks for one (src/commands/find-browser.ts).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

for found in "${LAUNCHBENCH_FIREFOX:-}" /usr/bin/firefox-esr /usr/bin/firefox \
  /usr/lib/firefox-esr/firefox-esr /usr/lib/firefox/firefox; do
  if [ -n "$found" ] && [ -x "$found" ]; then
    echo "install-firefox: $found already installed ($("$found" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
  fi
done

if ! command -v apt-get >/dev/null; then
  echo "install-firefox: no apt-get here; install Firefox and set LAUNCHBENCH_FIREFOX to its binary" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null

if [ -x /usr/bin/firefox-esr ]; then
  echo "install-firefox: installed /usr/bin/firefox-esr ($(/usr/bin/firefox-esr --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
echo "install-firefox: firefox-esr installed, but no /usr/bin/firefox-esr" >&2
exit 1
