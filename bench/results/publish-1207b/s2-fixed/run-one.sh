#!/bin/bash
# $1 = label, $2 = worktree of the server build; snapshots /debug/stats at the fixed phase's start and end.
label=$1; tree=$2; port=5392
taskset -c 0 dotnet $tree/bench/Switchboard.BenchServer/bin/Release/net10.0/Switchboard.BenchServer.dll $port > /tmp/order-s2w-$label.server.log 2>&1 &
spid=$!
for i in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$port/debug/stats && break; sleep 0.3; done
log=/tmp/order-s2w-$label.log; : > $log
( while ! grep -q "latency 40k/s" $log; do sleep 0.05; done; curl -s http://127.0.0.1:$port/debug/stats > /tmp/order-s2w-$label.a.json
  while [ $(grep -c "latency" $log) -lt 2 ]; do sleep 0.05; done; curl -s http://127.0.0.1:$port/debug/stats > /tmp/order-s2w-$label.b.json ) &
wpid=$!
taskset -c 1 dotnet /work/wt-order/bench/Switchboard.LoadGen/bin/Release/net10.0/Switchboard.LoadGen.dll run --url http://127.0.0.1:$port --pid $spid --scenarios S2-1k --scale 0.3 --in-flight none --out /tmp/order-s2w-$label >> $log 2>&1
wait $wpid
kill $spid; wait $spid 2>/dev/null
echo "$label done" >> /tmp/order-s2w.status
