#!/bin/bash
# What an idle connection holds (docs/performance.md, S1): the bench server on core 0, N idle Socket.IO
# connections (hold.mjs, rooms of 100) on core 1, RSS and the GC's counters before and after WAIT s idle,
# and, with DUMP=1, `dumpheap -stat` after a forced GC before and after, diffed per type per connection.
# Usage: bench/mem/heap-per-connection.sh OUT_DIR PORT N [server args, e.g. --Switchboard:DirectWebSockets=true]
# Needs a Release build of bench/ (dotnet build bench/Switchboard.Bench.slnx -c Release) and, for DUMP=1,
# dotnet-dump (~/.dotnet/tools). DLL=path picks another build of the bench server. Read RSS from a run
# without DUMP: taking a dump makes the server's RSS grow.
set -e
out=$1; port=$2; n=$3; shift 3
here=$(cd "$(dirname "$0")" && pwd)
dll=${DLL:-$here/../Switchboard.BenchServer/bin/Release/net10.0/Switchboard.BenchServer.dll}
dump_tool=${DOTNET_DUMP:-$HOME/.dotnet/tools/dotnet-dump}
mkdir -p "$out"
taskset -c 0 dotnet "$dll" "$port" "$@" > "$out/server.log" 2>&1 &
spid=$!
trap 'kill $spid 2>/dev/null; [ -n "$hpid" ] && kill $hpid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/debug/stats" && break; sleep 0.2; done
taskset -c 1 node "$here/hold.mjs" "$port" 100 once > "$out/warm.log"
rss0=$(awk '/VmRSS/{print $2}' /proc/$spid/status)
curl -s "http://127.0.0.1:$port/debug/stats?collect=1" > "$out/stats0.json"
heap() {
  "$dump_tool" collect -p $spid -o "$out/x.dmp" > /dev/null
  "$dump_tool" analyze "$out/x.dmp" -c "dumpheap -stat" -c exit > "$out/$1.heap.txt" 2>&1
  rm -f "$out/x.dmp"
}
[ -n "$DUMP" ] && heap base
cp /proc/$spid/smaps "$out/smaps0"
taskset -c 1 node "$here/hold.mjs" "$port" "$n" > "$out/hold.log" 2>&1 &
hpid=$!
for _ in $(seq 600); do grep -q open "$out/hold.log" && break; sleep 0.5; done
sleep 5
sleep "${WAIT:-30}"
rss1=$(awk '/VmRSS/{print $2}' /proc/$spid/status)
cp /proc/$spid/smaps "$out/smaps1"
curl -s "http://127.0.0.1:$port/debug/stats" > "$out/stats1.json"
curl -s "http://127.0.0.1:$port/debug/stats?collect=1" > "$out/stats2.json"
[ -n "$DUMP" ] && heap end
python3 - "$out" "$n" "$rss0" "$rss1" <<'PY'
import json, re, sys
out, n, r0, r1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s0, s1, s2 = [json.load(open(f"{out}/stats{i}.json")) for i in range(3)]
print(f"{open(out + '/hold.log').read().strip()}; per connection: RSS {(r1 - r0) / n:.2f} KiB, "
      f"GC committed {(s1['committedBytes'] - s0['committedBytes']) / n / 1024:.2f} KiB, "
      f"live heap {(s2['managedBytes'] - s0['managedBytes']) / n / 1024:.2f} KiB")
def load(path):
    types = {}
    for line in open(path):
        m = re.match(r'^\s*[0-9a-f]{8,}\s+([\d,]+)\s+([\d,]+)\s+(.+)$', line)
        if m:
            types[m.group(3).strip()] = int(m.group(2).replace(',', ''))
    return types
try:
    base, end = load(f"{out}/base.heap.txt"), load(f"{out}/end.heap.txt")
except FileNotFoundError:
    sys.exit(0)
rows = sorted(((size - base.get(t, 0)) / n, t) for t, size in end.items())
print(f"live objects per connection: {sum(r[0] for r in rows):.0f} B; types of >= 8 B per connection:")
for size, t in reversed(rows):
    if size >= 8:
        print(f"{size:8.1f}  {t}")
PY
