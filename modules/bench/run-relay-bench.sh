#!/bin/sh
# The end-to-end relay benchmark: builds Switchboard's fat jar (and its launcher, bin/switchboard) and the
# bench jar, checks the options (the parser is in the bench jar, so the build comes first; --help and a
# misspelt option stop here), installs the peers, then runs every scenario against every relay and prints
# the table. Arguments are passed on, e.g.
#   modules/bench/run-relay-bench.sh --scenarios 100@max --seconds 10
#   modules/bench/run-relay-bench.sh --clients java      # the Vert.x client fleet instead of Node ws clients
# Peers (a peer that cannot be installed is left out, with the reason, also when --relays names it):
#   node-ws   modules/bench/node-relay (ws 8.18.3 from its package-lock.json; the Node client fleet uses it too)
#   node-red  Node-RED 4.1.8 from modules/bench/node-red/package-lock.json
#   python    modules/bench/python-relay/relay.py on Debian's python3-websockets (apt-get; there is no PyPI here)
set -e
cd "$(dirname "$0")/../.."
mvn -B -q -pl modules/server,modules/bench -am package -DskipTests
relay_bench="dev.switchboard.bench.relay.RelayBench"
case " $* " in
  *" --help "*) exec java -cp modules/bench/target/switchboard-bench.jar "$relay_bench" --help ;;
esac
java -cp modules/bench/target/switchboard-bench.jar "$relay_bench" --check "$@" || exit $?
case " $* " in
  *" --check "*) exit 0 ;;
esac
relays=""
bench_dir="modules/bench" # where RelayBench looks for the peers: they are installed there
prev=""
for arg in "$@"; do
  [ "$prev" = "--relays" ] && relays=$arg
  [ "$prev" = "--bench-dir" ] && bench_dir=$arg
  prev=$arg
done
(cd "$bench_dir/node-relay" && npm ci --no-audit --no-fund --loglevel=error)

peers="node-ws"
missing=""
if (cd "$bench_dir/node-red" && npm ci --no-audit --no-fund --loglevel=error); then
  peers="$peers,node-red"
else
  echo "run-relay-bench: Node-RED could not be installed (npm ci in $bench_dir/node-red failed): left out" >&2
  missing="$missing,node-red"
fi
if ! /usr/bin/python3 -c 'import websockets' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q python3-websockets >/dev/null || true
  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then
    sudo apt-get install -y -q python3-websockets >/dev/null || true
  fi
fi
if /usr/bin/python3 -c 'import websockets' 2>/dev/null; then
  peers="$peers,python"
else
  echo "run-relay-bench: python3-websockets is not installed (apt-get install python3-websockets): the Python peer is left out" >&2
  missing="$missing,python"
fi
if [ -z "$relays" ]; then
  # The peers that are installed, then Switchboard (through its launcher, as the README runs it).
  set -- --relays "$peers,switchboard" "$@"
else
  # The relays asked for, less the peers that could not be installed (the run would stop at the first row).
  kept=""
  for relay in $(echo "$relays" | tr ',' ' '); do
    case "$missing," in
      *",$relay,"*) echo "run-relay-bench: --relays names $relay, which is not installed (see above): left out" >&2 ;;
      *) kept="${kept:+$kept,}$relay" ;;
    esac
  done
  if [ -z "$kept" ]; then
    echo "run-relay-bench: none of --relays $relays is installed: nothing to run" >&2
    exit 2
  fi
  # Every argument as given, but the value of --relays.
  prev=""
  for arg do
    shift
    if [ "$prev" = "--relays" ]; then
      set -- "$@" "$kept"
    else
      set -- "$@" "$arg"
    fi
    prev=$arg
  done
fi
echo "load average: $(cat /proc/loadavg)"
exec java -cp modules/bench/target/switchboard-bench.jar "$relay_bench" "$@"
