#!/bin/sh
# Builds the bench jar and runs the Alpaca ingestion benchmark for each encoding, alternating
# (json, msgpack, json, msgpack...) so that both see the same machine; then the decoding micro-benchmark.
# Arguments (optional): [repeats] [seconds] [symbols] [ticksPerSecond] [warmupSeconds], default 3 20 25 1000 10
# (the repeats are this script's; the rest are passed to AlpacaIngestBench, whose defaults they are).
set -e
cd "$(dirname "$0")/../.."
repeats=${1:-3}
# A bare shift with no arguments is fatal in dash, even with || true.
if [ "$#" -gt 0 ]; then
  shift
fi
mvn -B -q -pl modules/bench -am package -DskipTests
i=1
while [ "$i" -le "$repeats" ]; do
  for encoding in json msgpack; do
    java -cp modules/bench/target/switchboard-bench.jar dev.switchboard.bench.AlpacaIngestBench "$encoding" "$@" 2>/dev/null
  done
  i=$((i + 1))
done
java -cp modules/bench/target/switchboard-bench.jar org.openjdk.jmh.Main AlpacaDecode -f 2 2>/dev/null | sed -n '/^Benchmark/,$p'
