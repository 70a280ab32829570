// The baseline of the relay benchmark: what a user would write by hand with Node and `ws`.
// It reads an upstream WebSocket, parses each message, wraps it in the same envelope and bridge
// frame as Switchboard, encodes that once and sends it to every client registered on the address.
// Clients speak the event-bus bridge protocol: {"type":"register","address":...}, {"type":"ping"}.
//
//   node relay.js <port> <upstream ws url> <source name>
'use strict';
const { WebSocket, WebSocketServer } = require('ws');

const [port, upstreamUrl, source] = process.argv.slice(2);
if (!port || !upstreamUrl || !source) {
  console.error('usage: node relay.js <port> <upstream ws url> <source name>');
  process.exit(2);
}
const address = `upstream.${source}.message`;
const subscribers = new Set();
let seq = 0;

const server = new WebSocketServer({ host: '127.0.0.1', port: Number(port), path: '/eventbus/websocket' });
server.on('connection', (client) => {
  client.on('message', (data) => {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch (e) {
      client.close(1003, 'not JSON');
      return;
    }
    if (frame.type === 'register' && frame.address === address) {
      subscribers.add(client);
    } else if (frame.type === 'unregister') {
      subscribers.delete(client);
    }
  });
  client.on('close', () => subscribers.delete(client));
  client.on('error', () => subscribers.delete(client));
});
server.on('listening', () => console.log(`relay listening on ${port}`));

function connect() {
  // No permessage-deflate, as Switchboard's listener: compression would cost more CPU than the relaying.
  const upstream = new WebSocket(upstreamUrl, { perMessageDeflate: false });
  upstream.on('open', () => console.log('upstream connected'));
  upstream.on('message', (data) => {
    let parsed;
    try {
      parsed = JSON.parse(data);
    } catch (e) {
      return;
    }
    const body = { seq: ++seq, ts: Date.now(), source, type: 'json', data: parsed };
    const out = JSON.stringify({ type: 'rec', address, body });
    for (const client of subscribers) {
      client.send(out);
    }
  });
  upstream.on('close', () => setTimeout(connect, 1000));
  upstream.on('error', () => {});
}
connect();
// Exit cleanly on SIGTERM (the benchmark's stop), so that `node --cpu-prof` can write its profile.
process.on('SIGTERM', () => process.exit(0));
