#!/bin/sh
# The end-to-end relay benchmark: builds Switchboard's fat jar and the bench jar, installs the Node
# baseline's one dependency (ws, from package-lock.json), then runs every scenario against both
# relays and prints the table. Arguments are passed on, e.g.
#   modules/bench/run-relay-bench.sh --scenarios 100@max --seconds 10
set -e
cd "$(dirname "$0")/../.."
mvn -B -q -pl modules/server,modules/bench -am package -DskipTests
(cd modules/bench/node-relay && npm ci --no-audit --no-fund --loglevel=error)
exec java -cp modules/bench/target/switchboard-bench.jar dev.switchboard.bench.relay.RelayBench "$@"
