#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers that read client bytes (docs/fuzzing.md): publishes
# fuzz/Switchboard.Fuzz, instruments the Switchboard and IdentityModel assemblies with SharpFuzz, replays
# the seed corpora, then runs afl-fuzz on each target for a bounded time.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      default: 20 s, every target
#
# Without afl-fuzz (or when it cannot start here, or with FUZZ_NO_AFL=1), each target runs the
# harness's own random mutation of its seeds instead, and says so. For every target one line
# "fuzz-result <target> pass|fail <note>" is printed (./test.sh records them); a crash prints its input
# and the exception, and is kept in .fuzz/crashes/<target>/. The exit code is non-zero if any failed.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
SECONDS_PER_TARGET="${1:-20}"
shift $(( $# > 0 ? 1 : 0 ))
ALL_TARGETS=(engine-payload engine-v3-payload socket-packet msgpack-packet plain-request channel-cursor sse-query longpoll-query jwt-claims)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

WORK="$ROOT/.fuzz"
BIN="$WORK/bin"
PLAIN="$WORK/plain"
TOOLS="$WORK/tools"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

fail() { echo "fuzz/run.sh: $*" >&2; for t in "${TARGETS[@]}"; do echo "fuzz-result $t fail $*"; done; exit 1; }

# --- build and instrument ------------------------------------------------------------------------
# A fresh publish each time: instrumenting rewrites the assemblies in place, and must not happen twice.
rm -rf "$BIN"
mkdir -p "$WORK"
dotnet publish fuzz/Switchboard.Fuzz -c Release -o "$BIN" -v:quiet -nologo -nodeReuse:false >"$WORK/publish.log" 2>&1 \
  || { tail -n 20 "$WORK/publish.log"; fail "dotnet publish failed"; }
if [ ! -x "$TOOLS/sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$TOOLS" >/dev/null \
    || fail "cannot install the sharpfuzz tool"
fi
# Instrumented code faults outside SharpFuzz's loop: replays and the no-AFL mode use a plain copy.
rm -rf "$PLAIN" && cp -r "$BIN" "$PLAIN" || fail "cannot copy $BIN"
for assembly in Switchboard.Protocols Switchboard.Core Switchboard.AspNetCore \
  Microsoft.IdentityModel.JsonWebTokens Microsoft.IdentityModel.Tokens; do
  "$TOOLS/sharpfuzz" "$BIN/$assembly.dll" >/dev/null || fail "sharpfuzz could not instrument $assembly.dll"
done
HARNESS=(dotnet "$BIN/Switchboard.Fuzz.dll")
PLAIN_HARNESS=(dotnet "$PLAIN/Switchboard.Fuzz.dll")

AFL=""
if [ -z "${FUZZ_NO_AFL:-}" ] && command -v afl-fuzz >/dev/null 2>&1; then AFL="$(command -v afl-fuzz)"; fi
# The sandbox may pipe core dumps and share CPUs: AFL would refuse to start over either.
export AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 \
  AFL_NO_UI=1 AFL_QUIET=1 AFL_FORKSRV_INIT_TMOUT=30000

stat_of() { sed -n "s/^$2 *: *//p" "$1" 2>/dev/null | head -n 1; }

status=0
for target in "${TARGETS[@]}"; do
  corpus="$ROOT/fuzz/corpus/$target"
  findings="$WORK/findings/$target"
  saved="$WORK/crashes/$target"
  rm -rf "$findings"
  mkdir -p "$findings" "$saved"
  echo "== fuzz $target (${SECONDS_PER_TARGET}s)"
  if [ ! -d "$corpus" ]; then
    echo "fuzz-result $target fail no corpus at fuzz/corpus/$target"; status=1; continue
  fi
  # The seeds, and the inputs of crashes fixed before (fuzz/regressions), must pass before fuzzing.
  replay=("$corpus")
  [ -d "$ROOT/fuzz/regressions/$target" ] && replay+=("$ROOT/fuzz/regressions/$target")
  if ! "${PLAIN_HARNESS[@]}" "$target" --replay "${replay[@]}" >"$findings/replay.log" 2>&1; then
    cat "$findings/replay.log"
    echo "fuzz-result $target fail a seed or regression input crashes"; status=1; continue
  fi

  mode="afl"
  if [ -n "$AFL" ]; then
    timeout -k 10 $((SECONDS_PER_TARGET + 60)) "$AFL" -i "$corpus" -o "$findings" -V "$SECONDS_PER_TARGET" -t 5000 -m none \
      -- "${HARNESS[@]}" "$target" >"$findings/afl.log" 2>&1
    rc=$?
    stats="$findings/default/fuzzer_stats"
    if [ ! -f "$stats" ]; then
      echo "afl-fuzz did not start (exit $rc):"; tail -n 15 "$findings/afl.log"
      mode="mutate"
    fi
  else
    mode="mutate"
  fi

  if [ "$mode" = afl ]; then
    execs="$(stat_of "$stats" execs_done)"; paths="$(stat_of "$stats" corpus_count)"
    hangs="$(find "$findings/default/hangs" -name 'id:*' 2>/dev/null | wc -l)"
    crashes=("$findings"/default/crashes/id:*)
    if [ -e "${crashes[0]}" ]; then
      for crash in "${crashes[@]}"; do
        cp "$crash" "$saved/"
        echo "crash: $crash"
        "${PLAIN_HARNESS[@]}" "$target" --replay "$crash" 2>&1 | head -n 30
      done
      echo "fuzz-result $target fail ${#crashes[@]} crash(es), kept in .fuzz/crashes/$target (afl: $execs execs, $paths paths)"
      status=1
    else
      echo "fuzz-result $target pass afl: $execs execs, $paths paths, $hangs hangs in ${SECONDS_PER_TARGET}s"
    fi
  else
    # No coverage guidance: the harness mutates the seeds itself, and saves a crash to a temp file.
    if "${PLAIN_HARNESS[@]}" "$target" --mutate "$SECONDS_PER_TARGET" "$corpus" >"$findings/mutate.log" 2>&1; then
      echo "fuzz-result $target pass no AFL, random mutation: $(tail -n 1 "$findings/mutate.log")"
    else
      head -n 40 "$findings/mutate.log"
      echo "fuzz-result $target fail crash under random mutation (no AFL)"
      status=1
    fi
  fi
done
exit $status
