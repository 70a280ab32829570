#!/bin/sh
# The cluster failover benchmark: builds Switchboard's fat jar, its launcher and the bench jar, then
# runs three real nodes on loopback and kills the owner of a feed listener over and over (kill -9 and
# SIGTERM, alternating). Arguments are passed on, e.g.
#   modules/bench/run-failover-bench.sh --runs 5 --rate 50
set -e
cd "$(dirname "$0")/../.."
mvn -B -q -pl modules/server,modules/bench -am package -DskipTests
exec java -cp modules/bench/target/switchboard-bench.jar dev.switchboard.bench.FailoverBench "$@"
