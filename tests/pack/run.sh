#!/usr/bin/env bash
# The packages as an application gets them: packs the five library projects into a folder, checks their
# metadata, restores samples/PackageSmoke from that folder alone (package references, not project
# references), runs it on a loopback port, connects the official socket.io-client to it, stops it with
# SIGTERM, and checks deploy/switchboard.service with systemd-analyze verify. One "ok" / "not ok" line
# per check; the last line is "N passed, N failed" (docs/packages.md).
#
#   tests/pack/run.sh            uses the Release build that ./test.sh made
#   tests/pack/run.sh --build    builds the library projects first
#
# Environment: SWITCHBOARD_CONFIGURATION (Release), PACK_SMOKE_OUT (.test-results/pack).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 1
CONFIGURATION="${SWITCHBOARD_CONFIGURATION:-Release}"
OUT="${PACK_SMOKE_OUT:-$ROOT/.test-results/pack}"
SAMPLE="$ROOT/samples/PackageSmoke"
PROJECTS=(Switchboard.Protocols Switchboard.Core Switchboard.AspNetCore Switchboard.Redis Switchboard.Client)
# The server libraries the sample app uses (the client package is packed and checked, not used by it).
SAMPLE_PROJECTS=(Switchboard.Protocols Switchboard.Core Switchboard.AspNetCore Switchboard.Redis)
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok $1: $2"; }
# Counts the ok / not ok lines of a checker's output (and prints them).
tally() {
  local line
  while IFS= read -r line; do
    echo "$line"
    case "$line" in
      "ok "*) passed=$((passed + 1)) ;;
      "not ok "*) failed=$((failed + 1)) ;;
    esac
  done
}
finish() {
  echo "$passed passed, $failed failed"
  exit $((failed > 0 ? 1 : 0))
}

rm -rf "$OUT" "$SAMPLE/bin" "$SAMPLE/obj"
mkdir -p "$OUT/feed"
started=$SECONDS

if [ "${1:-}" = "--build" ]; then
  for name in "${PROJECTS[@]}"; do
    dotnet build "src/$name/$name.csproj" -c "$CONFIGURATION" -v:q -nologo >>"$OUT/build.log" 2>&1 \
      || { not_ok "build $name" "see $OUT/build.log"; finish; }
  done
fi

# --- pack ---------------------------------------------------------------------------------------
pack_ok=1
for name in "${PROJECTS[@]}"; do
  if ! dotnet pack "src/$name/$name.csproj" -c "$CONFIGURATION" --no-build -o "$OUT/feed" -v:q -nologo >>"$OUT/pack.log" 2>&1; then
    pack_ok=0
  fi
done
count="$(find "$OUT/feed" -name '*.nupkg' | wc -l)"
if [ $pack_ok -eq 1 ] && [ "$count" -eq ${#PROJECTS[@]} ]; then
  ok "dotnet pack made ${#PROJECTS[@]} packages"
else
  not_ok "dotnet pack" "$count packages, see $OUT/pack.log"
  finish
fi
core="$(basename "$(find "$OUT/feed" -name 'Switchboard.Core.*.nupkg' | head -n 1)" .nupkg)"
VERSION="${core#Switchboard.Core.}"
python3 tests/pack/check_packages.py "$OUT/feed" "$VERSION" "${PROJECTS[@]}" > "$OUT/check.log" 2>&1
tally < "$OUT/check.log"

# --- restore and build the sample from the folder ------------------------------------------------
# Sources: the packed folder and the machine's NuGet cache (for the dependencies the build already
# restored), so no network is needed. An own packages folder keeps these packages out of the cache.
cache="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')"
if dotnet restore "$SAMPLE/PackageSmoke.csproj" --source "$OUT/feed" --source "$cache" \
     --packages "$OUT/packages" -p:SwitchboardVersion="$VERSION" -v:q >"$OUT/restore.log" 2>&1; then
  ok "restore PackageSmoke from the packed folder"
else
  not_ok "restore PackageSmoke" "see $OUT/restore.log"
  finish
fi
# project.assets.json says where each library came from: every Switchboard one must be a package.
python3 - "$SAMPLE/obj/project.assets.json" "$VERSION" "${SAMPLE_PROJECTS[@]}" <<'PY' | tally
import json, sys
assets, version, ids = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3:]
libs = assets["libraries"]
wrong = [i for i in ids if libs.get(f"{i}/{version}", {}).get("type") != "package"]
projects = [k for k, v in libs.items() if v.get("type") == "project"]
if wrong or projects:
    print(f"not ok Switchboard libraries resolved as packages: not packages {wrong}, projects {projects}")
else:
    print(f"ok Switchboard libraries resolved as packages {version}")
PY
if dotnet build "$SAMPLE/PackageSmoke.csproj" -c Release --no-restore -v:q -nologo >"$OUT/sample-build.log" 2>&1; then
  ok "build PackageSmoke"
else
  not_ok "build PackageSmoke" "see $OUT/sample-build.log"
  finish
fi

# --- run it and connect a real client -----------------------------------------------------------
app_log="$OUT/app.log"
dotnet "$SAMPLE/bin/Release/net10.0/PackageSmoke.dll" --urls http://127.0.0.1:0 >"$app_log" 2>&1 &
app=$!
url=""
for _ in $(seq 1 300); do
  url="$(sed -n 's/.*Now listening on: \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$app_log" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 $app 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  not_ok "PackageSmoke listens" "no 'Now listening on' line in 30 s, see $app_log"
  kill -KILL $app 2>/dev/null
  finish
fi
ok "PackageSmoke listens on $url"
timeout -k 5 60 node tests/pack/client.mjs "$url" "$VERSION" > "$OUT/client.log" 2>&1
tally < "$OUT/client.log"
grep -qE '^(not )?ok ' "$OUT/client.log" || not_ok "socket.io-client" "no result lines, see $OUT/client.log"

kill -TERM $app
for _ in $(seq 1 100); do kill -0 $app 2>/dev/null || break; sleep 0.1; done
if kill -0 $app 2>/dev/null; then
  kill -KILL $app
  wait $app 2>/dev/null
  not_ok "PackageSmoke stops on SIGTERM" "still running 10 s after SIGTERM"
else
  wait $app
  rc=$?
  if [ $rc -eq 0 ]; then ok "PackageSmoke stops on SIGTERM (exit 0)"; else not_ok "PackageSmoke stops on SIGTERM" "exit $rc"; fi
fi

# --- the systemd unit ---------------------------------------------------------------------------
# verify wants ExecStart to exist: point it at the server the build made instead of /opt/switchboard.
# It prints unknown keys and bad values as warnings with exit 0, so any output fails the check.
if command -v systemd-analyze >/dev/null 2>&1; then
  server_dir="$ROOT/src/Switchboard.Server/bin/$CONFIGURATION/net10.0"
  sed "s#/opt/switchboard#$server_dir#g" deploy/switchboard.service > "$OUT/switchboard.service"
  verify="$(systemd-analyze verify "$OUT/switchboard.service" 2>&1)"
  rc=$?
  if [ $rc -eq 0 ] && [ -z "$verify" ]; then
    ok "systemd-analyze verify deploy/switchboard.service"
  else
    not_ok "systemd-analyze verify deploy/switchboard.service" "exit $rc: $verify"
  fi
else
  not_ok "systemd-analyze verify deploy/switchboard.service" "systemd-analyze is not installed"
fi

echo "pack suite took $((SECONDS - started)) s"
finish
