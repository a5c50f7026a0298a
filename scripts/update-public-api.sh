#!/usr/bin/env bash
# Brings the tracked public API of the four library packages up to date with the code: adds every
# public symbol the build does not find in src/<project>/PublicAPI.*.txt to PublicAPI.Unshipped.txt
# (RS0016) and drops the lines of symbols that are gone (RS0017). Review the diff, then commit it with
# the change: the build fails on an API change the files do not name (docs/packages.md).
#
#   scripts/update-public-api.sh            update PublicAPI.Unshipped.txt of every library project
#   scripts/update-public-api.sh --ship     then move what is unshipped into PublicAPI.Shipped.txt
#                                           (at a release)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROJECTS=(Switchboard.Protocols Switchboard.Core Switchboard.AspNetCore Switchboard.Redis)
ship=0
for arg in "$@"; do
  case "$arg" in
    --ship) ship=1 ;;
    *) echo "usage: $0 [--ship]" >&2; exit 2 ;;
  esac
done

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1

for name in "${PROJECTS[@]}"; do
  dir="src/$name"
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
  echo "== $name"
  # The code fixes of RS0016 (symbol not in the files) and RS0017 (symbol in the files but gone).
  # Only the PublicAPI files change: no other diagnostic is named, so no source file is touched.
  dotnet format analyzers "$dir/$name.csproj" --diagnostics RS0016 RS0017 --severity warn
  # Keep the files sorted (ordinal, as the analyzer's own fixer writes them) so merges stay readable.
  for file in "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt"; do
    { printf '#nullable enable\n'; sed '/^#nullable enable$/d; /^$/d' "$file" | LC_ALL=C sort -u; } > "$file.tmp"
    mv "$file.tmp" "$file"
  done
  if [ $ship -eq 1 ]; then
    # A line "*REMOVED*X" in the unshipped file takes X out of the shipped one.
    removed="$(sed -n 's/^\*REMOVED\*//p' "$dir/PublicAPI.Unshipped.txt")"
    { printf '#nullable enable\n'
      sed '/^#nullable enable$/d; /^\*REMOVED\*/d; /^$/d' "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt" \
        | { if [ -n "$removed" ]; then grep -vxF -- "$removed" || true; else cat; fi; } \
        | LC_ALL=C sort -u; } > "$dir/PublicAPI.Shipped.txt.tmp"
    mv "$dir/PublicAPI.Shipped.txt.tmp" "$dir/PublicAPI.Shipped.txt"
    printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
  fi
done

# The check the build makes: every library project builds with the files as they now are.
for name in "${PROJECTS[@]}"; do
  dotnet build "src/$name/$name.csproj" -c Release -v:q -nologo
done
git status --short -- 'src/*/PublicAPI.*.txt'
