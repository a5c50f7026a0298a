#!/usr/bin/env bash
# The full benchmark comparison (docs/performance.md), one command:
#
#   bench/run.sh [loadgen suite options]      e.g. --rounds 1 --scenarios S2-1k,S4 --scale 0.2
#
# Builds the bench projects (Release), installs the socket.io peer (npm ci), then runs every scenario
# against Switchboard (twice per round), socket.io 4.8, SignalR and the two ceiling servers in
# interleaved rounds, each server pinned to core 0 and the generator to core 1; S2-1k, S3 and S4 also
# with 8, 64 and 512 publications / echoes in flight (--in-flight); S6 and S6-3 (two and three nodes on
# Redis), S8-poll and S8-longpoll (1,000 long-polling subscribers). Writes
# bench/results/<time>/results.{json,md} and latency-*.svg. Takes about 29 minutes per round (25 without S6-3, S8-poll and S8-longpoll).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONFIGURATION="${SWITCHBOARD_CONFIGURATION:-Release}"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1

dotnet build "$HERE/Switchboard.Bench.slnx" -c "$CONFIGURATION" -v:minimal -nodeReuse:false >&2
(cd "$HERE/peers/socketio" && { [ -d node_modules/socket.io ] || npm ci --no-audit --no-fund --loglevel=error >&2; })

# Each process may hold this many files: ~19k idle connections fit under 20,000. Raise it if allowed.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "bench/run.sh: open files limit $(ulimit -n); cores $(nproc); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

pin=(--server-core 0)
launcher=(taskset -c 1)
if ! command -v taskset >/dev/null 2>&1 || [ "$(nproc)" -lt 2 ]; then
  echo "bench/run.sh: fewer than 2 cores or no taskset: server and generator share the machine unpinned" >&2
  pin=(--no-pin)
  launcher=()
fi
exec "${launcher[@]}" dotnet "$HERE/Switchboard.LoadGen/bin/$CONFIGURATION/net10.0/Switchboard.LoadGen.dll" \
  suite "${pin[@]}" --configuration "$CONFIGURATION" "$@"
