#!/usr/bin/env bash
# CI smoke of the benchmarks: every scenario (S1-S8, S6 and S6-3 on Redis) against Switchboard, the SignalR peer and the
# ceiling server (plus the socket.io peer with BENCH_SMOKE_SERVERS=all), with a few hundred
# connections for about a second each. Fails when something does not work (connections refused,
# deliveries or acks missing), never on the numbers. A failed scenario gets one retry on a fresh
# server (the machine may be busy), so only a failure that repeats counts; the first one stays in
# the log. The last line is "N passed, N failed".
#
#   bench/smoke.sh [--build] [extra loadgen suite options]
#
# Builds the bench projects only when their outputs are missing (./test.sh has already built
# Switchboard.slnx), or always with --build. Results: bench/results/smoke/ (or $BENCH_SMOKE_OUT).
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONFIGURATION="${SWITCHBOARD_CONFIGURATION:-Release}"
OUT="${BENCH_SMOKE_OUT:-$HERE/results/smoke}"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1

fail() {
  echo "bench/smoke.sh: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

build=0
if [ "${1:-}" = "--build" ]; then build=1; shift; fi
for dll in Switchboard.LoadGen/bin/$CONFIGURATION/net10.0/Switchboard.LoadGen.dll \
           Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll \
           CeilingServer/bin/$CONFIGURATION/net10.0/CeilingServer.dll \
           peers/SignalRPeer/bin/$CONFIGURATION/net10.0/SignalRPeer.dll; do
  [ -f "$HERE/$dll" ] || build=1
done
if [ $build -eq 1 ]; then
  dotnet build "$HERE/Switchboard.Bench.slnx" -c "$CONFIGURATION" -v:minimal -nodeReuse:false >&2 \
    || fail "build of bench/Switchboard.Bench.slnx failed"
fi

servers=switchboard,signalr,ceiling
peer="$HERE/peers/socketio"
if [ "${BENCH_SMOKE_SERVERS:-}" != all ]; then
  :
elif command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  if [ ! -d "$peer/node_modules/socket.io" ] || [ "$peer/package-lock.json" -nt "$peer/node_modules/.package-lock.json" ]; then
    (cd "$peer" && npm ci --no-audit --no-fund --loglevel=error >&2) || echo "bench/smoke.sh: npm ci failed; socket.io peer left out" >&2
  fi
  [ -d "$peer/node_modules/socket.io" ] && servers="socketio,$servers"
else
  echo "bench/smoke.sh: no Node.js; socket.io peer left out" >&2
fi

# Server on core 0, generator on core 1, as in the full run (when there are two cores).
pin=(--no-pin)
launcher=()
if command -v taskset >/dev/null 2>&1 && [ "$(nproc)" -ge 2 ]; then
  pin=(--server-core 0)
  launcher=(taskset -c 1)
fi

exec "${launcher[@]}" dotnet "$HERE/Switchboard.LoadGen/bin/$CONFIGURATION/net10.0/Switchboard.LoadGen.dll" \
  suite --smoke --servers "$servers" "${pin[@]}" --configuration "$CONFIGURATION" --out "$OUT" "$@"
