#!/usr/bin/env bash
# Builds the pipeline-statistics layer (layer.c) into .vk-stats/ (git-ignored): the library and the
# manifest the Vulkan loader finds it by. Vulkan's headers come from /usr/include/vulkan, or else
# from Debian's libvulkan-dev, downloaded (apt-get download) and unpacked into a temporary folder.
# Then, for any program that goes through the Vulkan loader (Dawn under Node, say):
#   VK_LAYER_PATH=$PWD/.vk-stats VK_INSTANCE_LAYERS=VK_LAYER_LAUNCHBENCH_stats \
#     LAUNCHBENCH_VK_STATS=stats.tsv <program>
# scripts/kernel-registers.ts sets those itself. The library needs only glibc and the loader's
# interface, so one built here runs on the lent GPU machines (carry .vk-stats).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
out=.vk-stats
grep -qsx "/$out/" .git/info/exclude 2>/dev/null || { mkdir -p .git/info && echo "/$out/" >> .git/info/exclude; }
include=
if [ -f /usr/include/vulkan/vk_layer.h ]; then
  include=/usr/include
else
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download libvulkan-dev >/dev/null) ||
    { echo "vk-stats/build.sh: no Vulkan headers: apt-get install libvulkan-dev" >&2; exit 1; }
  dpkg -x "$tmp"/libvulkan-dev_*.deb "$tmp/root"
  include=$tmp/root/usr/include
fi
command -v cc >/dev/null || { echo "vk-stats/build.sh: no C compiler (cc): apt-get install gcc" >&2; exit 1; }
mkdir -p "$out"
cc -O2 -shared -fPIC -fvisibility=hidden -Wall -Wextra -I"$include" \
  -o "$out/libvk_stats.so" scripts/vk-stats/layer.c -lpthread
cat > "$out/VK_LAYER_LAUNCHBENCH_stats.json" <<'J'
{
  "file_format_version": "1.1.2",
  "layer": {
    "name": "VK_LAYER_LAUNCHBENCH_stats",
    "type": "GLOBAL",
    "library_path": "./libvk_stats.so",
    "api_version": "1.3.239",
    "implementation_version": "1",
    "description": "launchbench: each compute pipeline's statistics (registers) to $LAUNCHBENCH_VK_STATS",
    "functions": {
      "vkGetInstanceProcAddr": "stats_GetInstanceProcAddr",
      "vkGetDeviceProcAddr": "stats_GetDeviceProcAddr"
    }
  }
}
J
echo "vk-stats/build.sh: $out/libvk_stats.so and its manifest" >&2
