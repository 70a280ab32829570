// The benchmark's Node client fleet: M `ws` clients in one Node process, each reading as a browser or a
// Node application does: one 'message' event per frame, JSON.parse of each frame, then the fields. So a
// relay is measured by what its users see, not by a Java client that reads many frames per system call.
//
//   node fleet.js <port> <path> <address> <clients>
//
// Every client registers on <address> with the event-bus bridge frame and pings every 5 s (a relay that
// does not speak the bridge protocol ignores both). A frame is a bridge frame {type, address, body: {...,
// data}} or the upstream message itself; either way the generator's gseq and gt are read from the data.
// gt is the generator's System.nanoTime(), which on Linux is CLOCK_MONOTONIC, the clock of
// process.hrtime, so send-to-receive latency can be computed here.
//
// A seq not above the last its client received is a duplicate: no delivery, and counted only if it is
// one of the current window's seqs, so that each round reports its own.
//
// stdout, one line each: "connected <n>", then "d <delivered>" whenever the count changed (every 2 ms at
// most: the generator's closed loop at max rate reads it), and the answer to each stdin command:
//   window <first>  a new window: seqs from <first> on count towards loss, duplicates and latency
//   close <last>    the window ends at <last>
//   stats           "stats {json}": delivered, duplicates (of the window), missing, lowestLast, allReceiving,
//                   connected
//   histogram       "histogram <bucket>:<count> ...": latencies in 10 µs buckets (as LatencyHistogram)
'use strict';
const { WebSocket } = require('ws');
const readline = require('readline');

const [port, path, address, count] = process.argv.slice(2);
const clients = Number(count);
const BUCKET_NANOS = 10000;
const BUCKETS = 200001;
const histogram = new Float64Array(BUCKETS);
let delivered = 0;
let duplicates = 0;
let windowFirst = Infinity;
let windowLast = Infinity;
const members = [];
// The last seqs each client received: the 'window' command reaches this process a little after the
// generator passed <first> (stdin waits behind the messages), so what arrived in between is counted
// from here, not lost. About a second of messages at every row's rate.
const RING = Math.max(1024, Math.floor(65536 / clients));
// The same for duplicates: the last seqs duplicated outside the current window, so that those of the next
// window that arrive before its 'window' command count in it.
const DUPLICATE_RING = 4096;
const outsideDuplicates = new Float64Array(DUPLICATE_RING);
let outsideCount = 0;

function member() {
  return new Promise((resolve, reject) => {
    // No permessage-deflate: no relay here compresses, and a relay that accepted it would spend its CPU in zlib.
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
    const m = { ws, last: 0, inWindow: 0, open: false, ring: new Float64Array(RING), received: 0 };
    ws.on('open', () => {
      m.open = true;
      ws.send(JSON.stringify({ type: 'register', address }));
      resolve(m);
    });
    ws.on('message', (data) => {
      const now = process.hrtime.bigint();
      const frame = JSON.parse(data);
      // A bridge frame carries the envelope, whose data is the upstream's message; Node-RED sends that message as it came.
      const message = frame.type === 'rec' ? frame.body.data : frame;
      const seq = message.gseq;
      if (typeof seq !== 'number') {
        return; // a pong, an error frame
      }
      if (seq <= m.last) {
        if (seq >= windowFirst && seq <= windowLast) {
          duplicates++;
        } else {
          outsideDuplicates[outsideCount++ % DUPLICATE_RING] = seq;
        }
        return; // no delivery: a relay must not gain deliveries/s by repeating itself
      }
      delivered++;
      m.last = seq;
      m.ring[m.received++ % RING] = seq;
      if (seq >= windowFirst && seq <= windowLast) {
        m.inWindow++;
        const latency = Number(now - BigInt(message.gt));
        histogram[Math.min(BUCKETS - 1, Math.max(0, Math.floor(latency / BUCKET_NANOS)))]++;
      }
    });
    ws.on('close', () => { m.open = false; });
    ws.on('error', (err) => { if (!m.open) reject(err); });
  });
}

async function connectAll() {
  for (let from = 0; from < clients; from += 50) {
    const batch = [];
    for (let i = from; i < Math.min(clients, from + 50); i++) {
      batch.push(member());
    }
    members.push(...await Promise.all(batch));
  }
  console.log(`connected ${members.length}`);
  setInterval(() => members.forEach((m) => m.open && m.ws.send('{"type":"ping"}')), 5000);
  let reported = -1;
  setInterval(() => {
    if (delivered !== reported) {
      reported = delivered;
      process.stdout.write(`d ${delivered}\n`);
    }
  }, 2);
}

function stats() {
  const expected = windowLast - windowFirst + 1;
  let missing = 0;
  let lowestLast = Infinity;
  let allReceiving = true;
  let connected = 0;
  for (const m of members) {
    if (Number.isFinite(expected)) missing += expected - m.inWindow;
    lowestLast = Math.min(lowestLast, m.last);
    allReceiving = allReceiving && m.last > 0;
    if (m.open) connected++;
  }
  return { delivered, duplicates, missing, lowestLast, allReceiving, connected };
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, value] = line.trim().split(' ');
  if (command === 'window') {
    windowFirst = Number(value);
    windowLast = Infinity;
    histogram.fill(0); // a new window: the last one's latencies and duplicates were read
    duplicates = 0;
    for (let i = 0; i < Math.min(outsideCount, DUPLICATE_RING); i++) {
      if (outsideDuplicates[i] >= windowFirst) duplicates++;
    }
    outsideCount = 0;
    for (const m of members) {
      const kept = Math.min(m.received, RING);
      let early = 0;
      let oldest = Infinity;
      for (let i = 0; i < kept; i++) {
        oldest = Math.min(oldest, m.ring[i]);
        if (m.ring[i] >= windowFirst) early++;
      }
      if (m.received > RING && oldest >= windowFirst) {
        console.error(`fleet: the window opened more than ${RING} messages late; some deliveries will count as missing`);
      }
      m.inWindow = early;
    }
  } else if (command === 'close') {
    windowLast = Number(value);
  } else if (command === 'stats') {
    process.stdout.write(`stats ${JSON.stringify(stats())}\n`);
  } else if (command === 'histogram') {
    const parts = [];
    histogram.forEach((n, i) => { if (n > 0) parts.push(`${i}:${n}`); });
    process.stdout.write(`histogram ${parts.join(' ')}\n`);
  } else if (command === 'exit') {
    members.forEach((m) => m.ws.terminate());
    process.exit(0);
  }
}).on('close', () => process.exit(0));

connectAll().catch((err) => {
  console.error(`fleet: ${err.message}`);
  process.exit(1);
});
