#!/usr/bin/env bash
# What metrics cost per delivery (docs/performance.md, "Metrics"): one bench server process with
# Switchboard:Telemetry=toggle, pinned to core 0; S2-1k runs from the generator on core 1, alternating
# metrics off and on (POST /bench/telemetry/on|off builds or disposes an OpenTelemetry MeterProvider over
# Switchboard's, ASP.NET Core's, Kestrel's and the runtime's meters) in the order off-on, on-off, ...
# One process for both sides removes the spread between server processes (JIT, heap layout) that made
# separate on and off servers differ by ±10 % a pair. Prints each pair and the medians.
# Usage: bench/metrics-cost.sh [pairs (16)] [scale (0.3)]; needs `dotnet build bench/Switchboard.Bench.slnx -c Release`.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-16}
scale=${2:-0.3}
port=5391
out=$(mktemp -d /tmp/switchboard-metrics-cost.XXXXXX)
loadgen=(taskset -c 1 dotnet bench/Switchboard.LoadGen/bin/Release/net10.0/Switchboard.LoadGen.dll)
DOTNET_NOLOGO=1 ASPNETCORE_ENVIRONMENT=Production DOTNET_TieredPGO=0 DOTNET_TC_CallCountingDelayMs=0 Switchboard__Telemetry=toggle \
  taskset -c 0 dotnet bench/Switchboard.BenchServer/bin/Release/net10.0/Switchboard.BenchServer.dll $port > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/socket.io/?EIO=4&transport=polling" && break
  sleep 0.1 # waiting for the server to listen: a start-up poll, not test synchronisation
done
run() { "${loadgen[@]}" run --url "http://127.0.0.1:$port" --pid $server --scenarios S2-1k --scale "$scale" --out "$out/$1" > "$out/$1.log" 2>&1; }
run warm # the first run brings the JIT to steady code; not counted
for i in $(seq 0 $((pairs - 1))); do
  order="off on"; [ $((i % 2)) = 1 ] && order="on off"
  for mode in $order; do
    [ "$(curl -fs -X POST "http://127.0.0.1:$port/bench/telemetry/$mode")" = "$mode" ]
    run "$mode-$i"
  done
done
python3 - "$out" "$pairs" <<'PY'
import json, statistics as st, sys
out, pairs = sys.argv[1], int(sys.argv[2])
def get(mode, i):
    return json.load(open(f'{out}/{mode}-{i}/results.json'))['results'][0]['metrics']['us_per_delivery']
rows = [(get('off', i), get('on', i)) for i in range(pairs)]
for i, (off, on) in enumerate(rows):
    print(f'{i:2} off {off:.3f} on {on:.3f} on/off {on / off:.3f}')
ratios = [on / off for off, on in rows]
sd = st.stdev(ratios) if len(ratios) > 1 else 0
print(f'pairs {len(rows)}: medians off {st.median(r[0] for r in rows):.3f} on {st.median(r[1] for r in rows):.3f} µs/delivery; '
      f'on/off median pair {st.median(ratios) - 1:+.1%}, mean {st.mean(ratios) - 1:+.1%} ± {sd / len(ratios) ** 0.5:.1%} (standard error)')
PY
echo "results: $out"
