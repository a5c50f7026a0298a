#!/usr/bin/env bash
# S4 through the independent Node generator (s4-echo.mjs) against Switchboard's bench server, the
# socket.io peer and the ceiling, server on core 0, generator on core 1, rounds interleaved.
#   bench/epoll-gen/run.sh [rounds] [generator options, e.g. --rate 10000 | --saturate]
# GEN=rooms.mjs runs the fan-out rows instead (S3: --rooms 1000 --size 10 --in-flight 8; S2-1k: --rooms 1
# --size 1000 --rate 40000); SERVERS="switchboard socketio ..." picks the servers.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH="$HERE/.."
ROUNDS="${1:-2}"
shift || true
CONFIGURATION="${SWITCHBOARD_CONFIGURATION:-Release}"
SERVERS="${SERVERS:-switchboard socketio ceiling}"
GEN="${GEN:-s4-echo.mjs}"

start() {
  case "$1" in
    switchboard-kestrel) exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" --Switchboard:DirectWebSockets=false ;;
    switchboard) exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" ;;
    # Experiments: Kestrel's pipes scheduled inline; sockets' completions inline on the event thread; both.
    switchboard-inline) exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" --Bench:InlineScheduling=true ;;
    switchboard-sockinline) DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" ;;
    switchboard-direct) exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" --Switchboard:DirectWebSockets=true ;;
    switchboard-direct-inline) exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" --Switchboard:DirectWebSockets=true --Bench:InlineScheduling=true ;;
    switchboard-nospin) DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" ;;
    switchboard-direct-inline-nospin) DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" --Switchboard:DirectWebSockets=true --Bench:InlineScheduling=true ;;
    switchboard-both) DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 exec taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$2" --Bench:InlineScheduling=true ;;
    socketio) exec taskset -c 0 node "$BENCH/peers/socketio/server.js" "$2" ;;
    ceiling) exec taskset -c 0 dotnet "$BENCH/CeilingServer/bin/$CONFIGURATION/net10.0/CeilingServer.dll" "$2" ;;
  esac
}

for round in $(seq "$ROUNDS"); do
  for server in $SERVERS; do
    port=$((5400 + RANDOM % 500))
    start "$server" "$port" >/tmp/epoll-gen-$server.log 2>&1 &
    pid=$!
    for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    # The process listening (dotnet or node exec'd by taskset keeps the pid).
    result=$(taskset -c 1 node "$HERE/$GEN" --port "$port" --pid "$pid" "$@" || echo '{"error":true}')
    echo "{\"round\":$round,\"server\":\"$server\",\"result\":$result}"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
done
