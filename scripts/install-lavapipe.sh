#!/usr/bin/env bash
# Installs Mesa's lavapipe (a CPU Vulkan driver) from Debian bookworm-backports, so that Dawn
# finds a Vulkan adapter on machines without a GPU. Bookworm's own Mesa 22 is too old for Dawn;
# Mesa 25 from bookworm-backports supports the core features and `timestamp-query`.
# Idempotent: does nothing when a lavapipe ICD of Mesa >= 25 is already installed.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi

installed_version() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true
}

have_lavapipe() {
  local v
  v=$(installed_version)
  [ -n "$v" ] && dpkg --compare-versions "$v" ge 25 && ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1
}

if have_lavapipe; then
  echo "install-lavapipe: mesa-vulkan-drivers $(installed_version) already installed"
  exit 0
fi

. /etc/os-release
if [ "${VERSION_CODENAME:-}" != "bookworm" ]; then
  echo "install-lavapipe: this script knows Debian bookworm only (found '${VERSION_CODENAME:-unknown}');" >&2
  echo "install your distribution's mesa-vulkan-drivers (Mesa >= 25) and libvulkan1 instead" >&2
  exit 1
fi

list=/etc/apt/sources.list.d/bookworm-backports.list
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb http://deb.debian.org/debian bookworm-backports main" | $SUDO tee "$list" >/dev/null
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null

if ! have_lavapipe; then
  echo "install-lavapipe: mesa-vulkan-drivers $(installed_version) installed, but no lavapipe ICD of Mesa >= 25 found" >&2
  exit 1
fi
echo "install-lavapipe: installed mesa-vulkan-drivers $(installed_version)"
