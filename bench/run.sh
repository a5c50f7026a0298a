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
# Then, when S4 was run, the same rounds of S4 at 10k echoes/s through the second generator
# (bench/epoll-gen: one Node event loop, raw sockets, its own framing) against Switchboard, socket.io and
# the ceiling, about 1.5 minutes a round: epoll-gen-s4-10k.jsonl, and a table appended to results.md.
# With S3 or S2-1k, S3 at 8 publications in flight and S2-1k at 40k deliveries/s through the same kind of
# generator (bench/epoll-gen/rooms.mjs), about 1 minute a server and round: epoll-gen-s3-if8.jsonl,
# epoll-gen-s2-1k-40k.jsonl, tables appended to results.md. BENCH_EPOLL_GEN=0 leaves these rows out.
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
# The results folder is chosen here (unless --out is given) so the epoll-gen row lands beside results.json.
out=""
rounds=3
scenarios=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --out) out="${args[i + 1]:-}" ;;
    --rounds) rounds="${args[i + 1]:-3}" ;;
    --scenarios) scenarios="${args[i + 1]:-}" ;;
    --smoke) rounds=1 ;;
  esac
done
if [ -z "$out" ]; then
  out="$HERE/results/$(date +%Y%m%d-%H%M%S)"
  set -- "$@" --out "$out"
fi

status=0
"${launcher[@]}" dotnet "$HERE/Switchboard.LoadGen/bin/$CONFIGURATION/net10.0/Switchboard.LoadGen.dll" \
  suite "${pin[@]}" --configuration "$CONFIGURATION" "$@" || status=$?

if [ "${BENCH_EPOLL_GEN:-1}" = 1 ] && [ "${pin[0]}" = --server-core ] && { [ -z "$scenarios" ] || [[ ",${scenarios^^}," == *,S4,* ]]; }; then
  echo "bench/run.sh: S4 at 10k echoes/s through bench/epoll-gen, $rounds round(s); load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  mkdir -p "$out"
  SERVERS="${EPOLL_GEN_SERVERS:-switchboard socketio ceiling}" bash "$HERE/epoll-gen/run.sh" "$rounds" --rate 10000 --warmup 8 --seconds 10 \
    > "$out/epoll-gen-s4-10k.jsonl" || status=$?
  if [ -f "$out/results.md" ]; then
    node "$HERE/epoll-gen/summarize.mjs" "$out/epoll-gen-s4-10k.jsonl" >> "$out/results.md" || status=$?
  fi
fi
# The fan-out rows through the same kind of generator (bench/epoll-gen/rooms.mjs): S3 with 8 publications in
# flight and S2-1k at 40k deliveries/s, about 40 s per server and round.
if [ "${BENCH_EPOLL_GEN:-1}" = 1 ] && [ "${pin[0]}" = --server-core ] && { [ -z "$scenarios" ] || [[ ",${scenarios^^}," == *,S3,* ]] || [[ ",${scenarios^^}," == *,S2-1K,* ]]; }; then
  echo "bench/run.sh: S3 (8 in flight) and S2-1k (40k deliveries/s) through bench/epoll-gen/rooms.mjs, $rounds round(s)" >&2
  mkdir -p "$out"
  for row in "s3-if8 --rooms 1000 --size 10 --in-flight 8" "s2-1k-40k --rooms 1 --size 1000 --rate 40000"; do
    set -- $row
    name=$1; shift
    SERVERS="${EPOLL_GEN_SERVERS:-switchboard socketio ceiling}" GEN=rooms.mjs bash "$HERE/epoll-gen/run.sh" "$rounds" "$@" --warmup 15 --seconds 10 \
      > "$out/epoll-gen-$name.jsonl" || status=$?
    if [ -f "$out/results.md" ]; then
      node "$HERE/epoll-gen/summarize.mjs" "$out/epoll-gen-$name.jsonl" "$name through the epoll generator (bench/epoll-gen/rooms.mjs)" >> "$out/results.md" || status=$?
    fi
  done
fi
exit "$status"
