#!/usr/bin/env bash
# Brings the tracked public API of the four library packages up to date with the code (docs/packages.md):
# every public symbol the build does not find in src/<project>/PublicAPI.*.txt is added to
# PublicAPI.Unshipped.txt (RS0016), and every line whose symbol is gone is dropped (RS0017; a symbol
# already shipped gets a "*REMOVED*" line in the unshipped file instead, the analyzer's convention).
# Review the diff and commit it with the change: the build fails on an API change the files do not name.
#
#   scripts/update-public-api.sh            update PublicAPI.Unshipped.txt of every library project
#   scripts/update-public-api.sh --ship     then move what is unshipped into PublicAPI.Shipped.txt
#                                           (at a release)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PROJECTS=(Switchboard.Protocols Switchboard.Core Switchboard.AspNetCore Switchboard.Redis Switchboard.Client)
ship=0
for arg in "$@"; do
  case "$arg" in
    --ship) ship=1 ;;
    *) echo "usage: $0 [--ship]" >&2; exit 2 ;;
  esac
done

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 MSBUILDDISABLENODEREUSE=1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Keeps a PublicAPI file sorted (ordinal) with "#nullable enable" first, so merges stay readable.
sort_api() {
  { printf '#nullable enable\n'; sed '/^#nullable enable$/d; /^$/d' "$1" | LC_ALL=C sort -u; } > "$1.tmp"
  mv "$1.tmp" "$1"
}

# The projects go in dependency order: each is built (Release) before the ones that reference it.
for name in "${PROJECTS[@]}"; do
  dir="src/$name"
  proj="$dir/$name.csproj"
  for file in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    [ -f "$dir/$file" ] || printf '#nullable enable\n' > "$dir/$file"
  done
  echo "== $name"

  # RS0016 (a public symbol missing from the files): the analyzer's own code fix, which writes only
  # PublicAPI.Unshipped.txt. No other diagnostic is named, so no source file is touched.
  dotnet format analyzers "$proj" --diagnostics RS0016 --severity warn

  # RS0017 (a line whose symbol is gone) is reported on the text file, where dotnet format fixes
  # nothing: read it from a full compile of this project alone and remove the lines here.
  dotnet build "$proj" -c Release --no-incremental -p:BuildProjectReferences=false -v:q -nologo > "$log" 2>&1 || true
  python3 - "$log" <<'PY'
import re, sys
pattern = re.compile(r"^(.*PublicAPI\.(Shipped|Unshipped)\.txt)\(\d+,\d+\): error RS0017: Symbol '(.*)' is part of the declared API")
removals = {}
for line in open(sys.argv[1], encoding="utf-8"):
    m = pattern.match(line.strip())
    if m:
        removals.setdefault((m.group(1), m.group(2)), set()).add(m.group(3))
for (path, kind), symbols in removals.items():
    lines = open(path, encoding="utf-8").read().splitlines()
    if kind == "Unshipped":
        kept = [l for l in lines if l not in symbols]
        open(path, "w", encoding="utf-8").write("\n".join(kept) + "\n")
    else:
        unshipped = path.replace("PublicAPI.Shipped.txt", "PublicAPI.Unshipped.txt")
        with open(unshipped, "a", encoding="utf-8") as f:
            for s in sorted(symbols):
                f.write(f"*REMOVED*{s}\n")
    for s in sorted(symbols):
        print(f"removed from {kind}: {s}")
PY

  for file in "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt"; do sort_api "$file"; done
  if [ $ship -eq 1 ]; then
    # A line "*REMOVED*X" in the unshipped file takes X out of the shipped one.
    removed="$(sed -n 's/^\*REMOVED\*//p' "$dir/PublicAPI.Unshipped.txt")"
    sed '/^#nullable enable$/d; /^\*REMOVED\*/d; /^$/d' "$dir/PublicAPI.Shipped.txt" "$dir/PublicAPI.Unshipped.txt" \
      | { if [ -n "$removed" ]; then grep -vxF -- "$removed" || true; else cat; fi; } > "$dir/PublicAPI.Shipped.txt.tmp"
    mv "$dir/PublicAPI.Shipped.txt.tmp" "$dir/PublicAPI.Shipped.txt"
    sort_api "$dir/PublicAPI.Shipped.txt"
    printf '#nullable enable\n' > "$dir/PublicAPI.Unshipped.txt"
  fi

  # The check the build makes: the project builds with the files as they now are.
  if ! dotnet build "$proj" -c Release -p:BuildProjectReferences=false -v:q -nologo > "$log" 2>&1; then
    grep -E 'error' "$log" | sort -u >&2
    echo "update-public-api: $name does not build with its updated PublicAPI files (errors above)" >&2
    exit 1
  fi
done
git status --short -- 'src/*/PublicAPI.*.txt'
