#!/usr/bin/env bash
# Where a server's CPU goes in one scenario: starts the Switchboard bench server (or the SignalR peer)
# pinned to core 0 with perf maps on, runs the scenario from core 1, records perf samples (cpu-clock,
# call graphs) during its saturation phase, and prints the top symbols and assemblies.
#
#   bench/profile.sh [S2-1k|S2-10k|S3|S4|S5|S1|S8-poll|S8-longpoll] [switchboard|signalr] [loadgen options, e.g. --scale 0.5]
#
# PROFILE_PHASE=fixed samples the first fixed-rate phase instead (S2-1k at 40k deliveries/s, S8-* at
# 10k): where a server's CPU goes below saturation, when it pays per message what it batches at saturation.
#
# Needs linux-perf (apt-get install linux-perf). Output: bench/results/profile-<scenario>-<server>[-fixed]/.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCENARIO="${1:-S2-1k}"
SERVER="${2:-switchboard}"
shift $(( $# >= 2 ? 2 : $# ))
CONFIGURATION="${SWITCHBOARD_CONFIGURATION:-Release}"
PHASE="${PROFILE_PHASE:-saturate}"
OUT="$HERE/results/profile-$SCENARIO-$SERVER$([ "$PHASE" = fixed ] && echo -fixed)"
PORT=5399
mkdir -p "$OUT"
command -v perf >/dev/null || { echo "profile.sh: perf not found (apt-get install linux-perf)" >&2; exit 1; }

case "$SERVER" in
  switchboard) DLL="$HERE/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll"; PROTOCOL=socketio
    EXTRA=(--longpoll-url "http://127.0.0.1:$PORT/poll?channel={room}") ;;
  signalr) DLL="$HERE/peers/SignalRPeer/bin/$CONFIGURATION/net10.0/SignalRPeer.dll"; PROTOCOL=signalr; EXTRA=() ;;
  *) echo "profile.sh: server is switchboard or signalr" >&2; exit 2 ;;
esac

# Perf maps name the JIT-compiled methods; W^X off keeps JIT code out of a memfd perf cannot read.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_TieredPGO=0 DOTNET_TC_CallCountingDelayMs=0 \
  taskset -c 0 dotnet "$DLL" "$PORT" >"$OUT/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

WARMUP=4
MEASURE=8
# perf starts when the saturation phase does (connections + warm-up take a while; 10 s is generous
# for the default sizes used here) and samples for most of it.
START=$((WARMUP + 6))
LENGTH=$((MEASURE - 2))
if [ "$PHASE" = fixed ]; then
  # A short saturation, then the 5 s fixed-rate phase: sampled from about its second second.
  WARMUP=2
  MEASURE=2
  START=$((WARMUP + MEASURE + 5))
  LENGTH=3
fi
( sleep $START; perf record -e cpu-clock -F 1999 -g -p "$PID" -o "$OUT/perf.data" -- sleep $LENGTH >/dev/null 2>&1 ) &
taskset -c 1 dotnet "$HERE/Switchboard.LoadGen/bin/$CONFIGURATION/net10.0/Switchboard.LoadGen.dll" run \
  --url "http://127.0.0.1:$PORT" --protocol "$PROTOCOL" --pid "$PID" --debug-stats --name "$SERVER" \
  --scenarios "$SCENARIO" --warmup "$WARMUP" --measure "$MEASURE" --out "$OUT" "${EXTRA[@]}" "$@" | tee "$OUT/loadgen.txt"
wait %2 2>/dev/null || true

perf report -i "$OUT/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null | grep -E '^ +[0-9]' | head -15 >"$OUT/by-module.txt"
perf report -i "$OUT/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null | grep -E '^ +[0-9]' | head -60 >"$OUT/by-symbol.txt"
echo "== by module ==" && cat "$OUT/by-module.txt"
echo "== top symbols ==" && head -40 "$OUT/by-symbol.txt"
echo "profile.sh: $OUT"
