#!/usr/bin/env bash
cd "$(dirname "$0")"; B=../..
SB="dotnet $B/Switchboard.BenchServer/bin/Release/net10.0/Switchboard.BenchServer.dll"
for r in $(seq ${1:-1}); do
  GEN_ARGS="--warmup 3" ./run1.sh default-w3 0 $SB
  GEN_ARGS="--warmup 3" ./run1.sh socketio-w3 0 node $B/peers/socketio/server.js
  GEN_ARGS="--warmup 3" ./run1.sh ceiling-w3 0 dotnet $B/CeilingServer/bin/Release/net10.0/CeilingServer.dll
  GEN_ARGS="--warmup 30" ./run1.sh default-w30 0 $SB
  GEN_ARGS="--warmup 30" ./run1.sh socketio-w30 0 node $B/peers/socketio/server.js
  GEN_ARGS="--warmup 30" DOTNET_TieredPGO=0 ./run1.sh nopgo-w30 0 $SB
  GEN_ARGS="--warmup 30" DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 ./run1.sh nospin-w30 0 $SB
  GEN_ARGS="--warmup 30" DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 ./run1.sh direct-inline-nospin-w30 0 $SB --Switchboard:DirectWebSockets=true --Bench:InlineScheduling=true
done | tee -a ${OUT:-/tmp/tail/quiet2.jsonl} | python3 show.py
