#!/bin/bash
# The independent-style rows through bench/epoll-gen, all servers, 2 rounds each, interleaved per row.
cd "$(dirname "$0")/../../epoll-gen"
out=${1:-/tmp/indep}; mkdir -p $out
S="${SERVERS:-switchboard switchboard-kestrel socketio ceiling}"
SERVERS="$S" GEN=rooms.mjs ./run.sh 2 --rooms 1000 --size 10 --in-flight 8 --warmup 20 --seconds 10 > $out/s3-if8.jsonl
SERVERS="$S" GEN=rooms.mjs ./run.sh 2 --rooms 1000 --size 10 --in-flight 64 --warmup 20 --seconds 10 > $out/s3-if64.jsonl
SERVERS="$S" GEN=rooms.mjs ./run.sh 2 --rooms 1 --size 1000 --rate 40000 --warmup 20 --seconds 10 > $out/s2-40k.jsonl
SERVERS="$S" GEN=rooms.mjs ./run.sh 2 --rooms 1 --size 1000 --in-flight 4 --warmup 20 --seconds 10 > $out/s2-if4.jsonl
SERVERS="$S" ./run.sh 2 --rate 10000 --warmup 30 --seconds 10 > $out/s4-10k.jsonl
SERVERS="$S" ./run.sh 2 --saturate --warmup 20 --seconds 10 > $out/s4-sat.jsonl
