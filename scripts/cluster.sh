#!/usr/bin/env bash
# A local Switchboard cluster in one command: redis-server (in memory), three nodes of the standalone
# server as separate processes, and nginx as a round-robin load balancer in front of them (no sticky
# sessions; config template deploy/nginx-cluster.conf). Prints the addresses and runs until Ctrl-C,
# which stops everything it started. Needs the Debian packages redis-server and nginx (or nginx-light).
#
#   scripts/cluster.sh [--port 8080] [--redis-port N] [--nodes 3] [--api-key KEY] [--no-build]
#
#   --port        the balancer's port (default 8080); the nodes and Redis take free ports after it
#   --redis-port  use this port for redis-server instead of a free one
#   --nodes       how many nodes (default 3)
#   --api-key     the HTTP API key of every node (default dev-key)
#   --no-build    use the Release build already there
#
# Logs: the directory printed at start (one file per process); it is removed on exit unless
# KEEP_LOGS=1. Long-polling-only clients need sticky sessions for now (see the README, "Cluster").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PROJECT="$ROOT/src/Switchboard.Server"
DLL="$PROJECT/bin/Release/net10.0/Switchboard.Server.dll"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1

port=8080 redis_port="" nodes=3 api_key=dev-key build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --redis-port) redis_port="$2"; shift 2 ;;
    --nodes) nodes="$2"; shift 2 ;;
    --api-key) api_key="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "cluster.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

find_bin() {
  local dir
  if command -v "$1" >/dev/null 2>&1; then command -v "$1"; return 0; fi
  for dir in /usr/sbin /usr/bin /sbin /usr/local/sbin /usr/local/bin; do
    [ -x "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
  return 1
}
REDIS="${REDIS_SERVER_PATH:-$(find_bin redis-server || true)}"
NGINX="${NGINX_PATH:-$(find_bin nginx || true)}"
[ -n "$REDIS" ] || { echo "cluster.sh: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
[ -n "$NGINX" ] || { echo "cluster.sh: nginx not found (apt-get install nginx-light)" >&2; exit 1; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# Sets $free to the first port from $1 up that nothing listens on and that is not in $taken.
taken=" "
next_free_port() {
  free=$1
  while port_in_use "$free" || [[ "$taken" == *" $free "* ]]; do free=$((free + 1)); done
  taken+="$free "
}

if port_in_use "$port"; then echo "cluster.sh: port $port is in use (--port)" >&2; exit 1; fi
taken+="$port "
if [ -z "$redis_port" ]; then next_free_port $((port + 1)); redis_port=$free; else taken+="$redis_port "; fi
node_ports=()
for ((i = 1; i <= nodes; i++)); do next_free_port $((port + 1)); node_ports+=("$free"); done

if [ $build -eq 1 ]; then
  echo "building src/Switchboard.Server (Release)..."
  dotnet build "$PROJECT" -c Release -v:quiet -nologo -nodeReuse:false
fi
[ -f "$DLL" ] || { echo "cluster.sh: $DLL is missing; run without --no-build" >&2; exit 1; }

DIR="$(mktemp -d "${TMPDIR:-/tmp}/switchboard-cluster.XXXXXX")"
pids=()
stop_all() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $DIR"; else rm -rf "$DIR"; fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Waits until something accepts connections on port $1, or until process $2 has exited.
wait_for_port() {
  for _ in $(seq 300); do
    port_in_use "$1" && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

"$REDIS" --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$DIR" >"$DIR/redis.log" 2>&1 &
pids+=($!)
wait_for_port "$redis_port" $! || { cat "$DIR/redis.log" >&2; echo "cluster.sh: redis-server did not start" >&2; exit 1; }

servers=""
for ((i = 1; i <= nodes; i++)); do
  node_port="${node_ports[$((i - 1))]}"
  ticker=()
  # One simulated market for the whole cluster (the ticker demo), not one per node.
  [ "$i" -gt 1 ] && ticker=(--Switchboard:Demos:TickerInterval=00:00:00)
  (cd "$PROJECT" && exec dotnet "$DLL" --urls "http://127.0.0.1:$node_port" \
    --Switchboard:Redis:Configuration="127.0.0.1:$redis_port" --Switchboard:Redis:NodeId="n$i" \
    --Switchboard:Recovery:MaxDisconnectionDuration=00:02:00 --Switchboard:Api:Keys:0="$api_key" \
    "${ticker[@]}") >"$DIR/n$i.log" 2>&1 &
  pids+=($!)
  servers+="    server 127.0.0.1:$node_port max_fails=1 fail_timeout=2s;"$'\n'
done
for ((i = 1; i <= nodes; i++)); do
  if ! wait_for_port "${node_ports[$((i - 1))]}" "${pids[$i]}"; then
    tail -n 30 "$DIR/n$i.log" >&2
    echo "cluster.sh: node n$i did not start" >&2
    exit 1
  fi
done

# Temp paths inside $DIR for the modules this nginx has (nginx-light lacks some).
temp_paths=""
built="$("$NGINX" -V 2>&1)"
for module in client_body proxy fastcgi uwsgi scgi; do
  if [ "$module" = client_body ] || [[ "$built" != *"--without-http_${module}_module"* ]]; then
    temp_paths+="  ${module}_temp_path $DIR/$module;"$'\n'
  fi
done
conf="$(<"$ROOT/deploy/nginx-cluster.conf")"
conf="${conf//@DIR@/$DIR}"
conf="${conf//@LISTEN@/127.0.0.1:$port}"
conf="${conf//@ACCESS_LOG@/$DIR/access.log cluster}"
conf="${conf//@TEMP_PATHS@/$temp_paths}"
conf="${conf//@SERVERS@/$servers}"
printf '%s\n' "$conf" >"$DIR/nginx.conf"
"$NGINX" -p "$DIR/" -c "$DIR/nginx.conf" -e stderr >"$DIR/nginx.log" 2>&1 &
pids+=($!)
wait_for_port "$port" $! || { cat "$DIR/nginx.log" >&2; echo "cluster.sh: nginx did not start" >&2; exit 1; }

echo
echo "Switchboard cluster is up (logs in $DIR):"
echo "  balancer (nginx, round-robin)  http://127.0.0.1:$port/   <- point clients here"
for ((i = 1; i <= nodes; i++)); do
  echo "  node n$i                        http://127.0.0.1:${node_ports[$((i - 1))]}/"
done
echo "  redis-server                   127.0.0.1:$redis_port   (redis-cli -p $redis_port)"
echo "  HTTP API key                   $api_key"
echo
echo "Try: curl -s -X POST -H 'X-Api-Key: $api_key' -H 'Content-Type: application/json' \\"
echo "       -d '{\"channel\":\"prices.ACME\",\"data\":{\"px\":1}}' http://127.0.0.1:$port/api/publish"
echo "Ctrl-C stops everything."

# Until Ctrl-C. A process that dies (say a node you kill -9 to watch its clients move) is reported
# and the rest keep running.
reported=" "
while :; do
  for i in "${!pids[@]}"; do
    if [[ "$reported" != *" $i "* ]] && ! kill -0 "${pids[$i]}" 2>/dev/null; then
      reported+="$i "
      if [ "$i" -eq 0 ]; then name=redis-server; elif [ "$i" -le "$nodes" ]; then name="node n$i"; else name=nginx; fi
      echo "cluster.sh: $name (pid ${pids[$i]}) exited; the others keep running" >&2
    fi
  done
  sleep 1
done
