#!/usr/bin/env bash
# The GPU's name as the published result folders spell it (`nvidia-smi`'s, lower case, runs of other
# characters as one '-': nvidia-h100-80gb-hbm3), or "local" where nvidia-smi finds none. The
# batch scripts (decode-batch.sh, clock-batch.sh, ab-known-cause.sh) name their folders with it.
name=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 |
  tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-|-$//g')
echo "${name:-local}"
