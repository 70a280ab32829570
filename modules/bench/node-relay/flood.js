// A flood of bridge clients: what http.maxConnections is there for (docs/operations.md, "Connection flood").
// Opens <clients> WebSockets to the bridge's raw endpoint at once, each registering on <address> and pinging
// every 5 s as a browser would, holds them for <seconds>, and prints every 2 s how many are open, how many the
// server refused (a 503 at the upgrade, or the connection closed before it) and how many messages arrived.
//
//   node flood.js [port=8080] [clients=16000] [seconds=40] [address=upstream.feed.message]
//
// Raise the open-files limit of the shell first (ulimit -n) when it is below <clients> plus a few hundred.
'use strict';
const { WebSocket } = require('ws');

const [port = '8080', count = '16000', seconds = '40', address = 'upstream.feed.message'] = process.argv.slice(2);
let open = 0;
let refused = 0;
let closedAfterOpen = 0;
let messages = 0;

for (let i = 0; i < Number(count); i++) {
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
    if (ws.readyState !== WebSocket.OPEN && !ping) {
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

const report = setInterval(() => console.log(`open ${open} refused ${refused} closed-after-open ${closedAfterOpen} messages ${messages}`), 2000);
setTimeout(() => {
  clearInterval(report);
  console.log(`open ${open} refused ${refused} closed-after-open ${closedAfterOpen} messages ${messages}`);
  process.exit(0);
}, Number(seconds) * 1000);
