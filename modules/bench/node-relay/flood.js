// A flood of connections: what http.maxConnections is there for (docs/operations.md, "Connection flood").
//
//   node flood.js [port=8080] [clients=16000] [seconds=40] [mode=bridge] [address=upstream.feed.message]
//
// bridge: <clients> WebSockets to the bridge's raw endpoint at once, each registering on <address> and pinging
//         every 5 s as a browser would; prints every 2 s how many are open, how many the server refused (a 503 at
//         the upgrade, or the connection closed before it) and how many messages arrived.
// silent: <clients> TCP connections that send nothing; prints every 2 s how many are still open, how many the
//         server closed (refused at once or, later, closed to make room: /metrics tells the two apart), and how
//         a probe of /health/live on a new connection fares (status and time).
//
// Both hold on for <seconds>. Raise the open-files limit of the shell first (ulimit -n) when it is below
// <clients> plus a few hundred.
'use strict';
const net = require('net');
const http = require('http');
const { WebSocket } = require('ws');

const [port = '8080', count = '16000', seconds = '40', mode = 'bridge', address = 'upstream.feed.message'] = process.argv.slice(2);
if (mode !== 'bridge' && mode !== 'silent') {
  console.error(`mode must be bridge or silent, not ${mode}`);
  process.exit(2);
}
let open = 0;
let refused = 0;
let closedAfterOpen = 0;
let messages = 0;
let probe = 'none yet';

function bridgeClient() {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/eventbus/websocket`);
  let ping;
  ws.on('open', () => {
    open++;
    ws.send(JSON.stringify({ type: 'register', address }));
    ping = setInterval(() => ws.send('{"type":"ping"}'), 5000);
  });
  ws.on('message', () => messages++);
  ws.on('unexpected-response', (req, res) => {
    refused++; // the upgrade answered with a status, not 101: 503 when the bridge is full
    res.resume();
    req.destroy();
  });
  ws.on('error', () => {
    if (!ping) {
      refused++; // closed before the upgrade: past http.maxConnections
    }
  });
  ws.on('close', () => {
    if (ping) {
      clearInterval(ping);
      open--;
      closedAfterOpen++;
    }
  });
}

function silentClient() {
  const socket = net.connect(Number(port), '127.0.0.1');
  let connected = false;
  socket.on('connect', () => {
    connected = true;
    open++;
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    if (connected) {
      open--;
      closedAfterOpen++;
    } else {
      refused++; // the kernel completes the handshake before the server accepts: a refusal shows as a close
    }
  });
}

function probeHealth() {
  const started = process.hrtime.bigint();
  const took = () => `${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(0)} ms`;
  const req = http.get({ host: '127.0.0.1', port: Number(port), path: '/health/live', agent: false, timeout: 5000 }, res => {
    res.resume();
    probe = `${res.statusCode} in ${took()}`;
  });
  req.on('timeout', () => req.destroy(new Error('timed out')));
  req.on('error', err => {
    probe = `failed (${err.code || err.message}) after ${took()}`;
  });
}

for (let i = 0; i < Number(count); i++) {
  if (mode === 'bridge') {
    bridgeClient();
  } else {
    silentClient();
  }
}

const line = () => mode === 'bridge'
  ? `open ${open} refused ${refused} closed-after-open ${closedAfterOpen} messages ${messages}`
  : `open ${open} failed-to-connect ${refused} closed-by-server ${closedAfterOpen} probe ${probe}`;
const report = setInterval(() => {
  console.log(line());
  if (mode === 'silent') {
    probeHealth();
  }
}, 2000);
setTimeout(() => {
  clearInterval(report);
  console.log(line());
  process.exit(0);
}, Number(seconds) * 1000);
