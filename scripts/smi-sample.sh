#!/usr/bin/env bash
# Samples the GPU with nvidia-smi every MS milliseconds into FILE (CSV: timestamp, SM and memory
# clocks, utilisation, power, throttle reasons; scripts/smi-clocks.ts reads it) until killed:
#   bash scripts/smi-sample.sh FILE MS & pid=$!; …; kill $pid
# Does nothing (exit 0, no file) where there is no nvidia-smi. Used beside runs by clock-batch.sh
# and repro-pair.sh.
set -u
command -v nvidia-smi >/dev/null || exit 0
exec nvidia-smi \
  --query-gpu=timestamp,clocks.sm,clocks.mem,utilization.gpu,power.draw,clocks_event_reasons.active \
  --format=csv -lms "$2" > "$1"
