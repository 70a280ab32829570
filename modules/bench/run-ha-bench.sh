#!/bin/sh
# Builds the bench jar and runs the Home Assistant ingestion benchmark.
# Arguments (optional): [events] [warmupEvents], default 200000 50000.
set -e
cd "$(dirname "$0")/../.."
mvn -B -q -pl modules/bench -am package -DskipTests
exec java -jar modules/bench/target/switchboard-bench.jar "$@"
