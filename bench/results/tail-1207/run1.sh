#!/usr/bin/env bash
# usage: run1.sh <label> <prio or 0> <server cmd...>
label=$1; prio=$2; shift 2
port=$((5400 + RANDOM % 500))
if [ "$prio" != 0 ]; then pre="chrt -f $prio"; else pre=""; fi
srv=$1; shift; $pre taskset -c 0 $srv "$1" $port "${@:2}" >/tmp/tail/$label.server.log 2>&1 &
pid=$!
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
res=$($pre taskset -c 1 node "$(dirname "$0")/../../epoll-gen/s4-echo.mjs" --timeline --port $port --pid $pid --seconds ${SECS:-10} ${GEN_ARGS:-} || echo '{"error":true}')
echo "{\"label\":\"$label\",\"r\":$res}"
kill $pid; wait $pid 2>/dev/null
