#!/bin/bash
# usage: run.sh OUTDIR ROUNDS SCEN INFLIGHT  — interleaves base (/work/wt-base) and new (/work/main), switchboard server only
out=$1; rounds=$2; scen=$3; inf=$4; extra=${5:-}
mkdir -p $out
for r in $(seq 1 $rounds); do
  for tree in base new; do
    root=/work/main; [ $tree = base ] && root=/work/wt-base
    (cd $root && taskset -c 1 dotnet bench/Switchboard.LoadGen/bin/Release/net10.0/Switchboard.LoadGen.dll suite --server-core 0 --configuration Release --rounds 1 --once --servers switchboard${extra} --scenarios $scen --in-flight $inf --base-port 6400 --out $out/$tree-$r > $out/$tree-$r.log 2>&1)
    grep -E "^\| S" $out/$tree-$r/results.md | sed "s/^/$tree $r /" | cut -c1-150
  done
done
