#!/usr/bin/env bash
# One server process, several generators in turn against it at 10k echoes/s (S4), so their figures differ
# only by how the generator drives the server: epoll (s4-echo.mjs), lg-epoll and lg-pool (LoadGen's S4 with
# --pacing epoll / pool; its fixed-rate row only). Server on core 0, generators on core 1.
#   bench/epoll-gen/compare.sh switchboard|socketio epoll lg-pool lg-epoll epoll ...
# Prints, per generator, the server's CPU µs per echo, voluntary context switches and (Switchboard) thread-pool
# work items per echo, RTT, and for LoadGen its requests per pacing tick.
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH="$HERE/.."
CONFIGURATION="${SWITCHBOARD_CONFIGURATION:-Release}"
OUT="${COMPARE_OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
server="${1:?server: switchboard or socketio}"
shift
port=$((6100 + RANDOM % 300))
stats=()
case "$server" in
  switchboard) taskset -c 0 dotnet "$BENCH/Switchboard.BenchServer/bin/$CONFIGURATION/net10.0/Switchboard.BenchServer.dll" "$port" >"$OUT/server.log" 2>&1 &
    stats=(--debug-stats) ;;
  socketio) taskset -c 0 node "$BENCH/peers/socketio/server.js" "$port" >"$OUT/server.log" 2>&1 & ;;
  *) echo "unknown server $server" >&2; exit 2 ;;
esac
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null' EXIT
for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
for gen in "$@"; do
  echo "== $server $gen load $(cut -d' ' -f1 /proc/loadavg)"
  case "$gen" in
    epoll) taskset -c 1 node "$HERE/s4-echo.mjs" --port "$port" --pid "$pid" --rate 10000 --warmup 5 --seconds 10 ;;
    lg-epoll | lg-pool)
      taskset -c 1 dotnet "$BENCH/Switchboard.LoadGen/bin/$CONFIGURATION/net10.0/Switchboard.LoadGen.dll" run --url "http://127.0.0.1:$port" \
        --pid "$pid" --scenarios S4 --in-flight none --latency 10 --warmup 5 --measure 2 --pacing "${gen#lg-}" "${stats[@]}" --out "$OUT/$gen" >/dev/null 2>&1
      node -e '
        const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results[0].metrics;
        const keys = ["us_per_echo@fixed", "server_vcsw_per_echo@fixed", "server_work_items_per_echo@fixed", "p50_ms@fixed", "p99_ms@fixed",
          "generator_cpu_pct@fixed", "sends_per_tick@fixed", "ticks_per_s@fixed"];
        console.log(JSON.stringify(Object.fromEntries(keys.filter((k) => m[k] !== undefined).map((k) => [k, +m[k].toFixed(3)]))));' "$OUT/$gen/results.json" ;;
    *) echo "unknown generator $gen" >&2 ;;
  esac
done
