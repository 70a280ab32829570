# A peer of the relay benchmark: the relay a user would write with Python's `websockets` (Debian's
# python3-websockets). Like node-relay/relay.js it parses each upstream message, wraps it in the
# same envelope and bridge frame as Switchboard, encodes that once and broadcasts it to every client
# registered on the address. Clients speak the event-bus bridge frames: register, unregister, ping.
#
#   python3 relay.py <port> <upstream ws url> <source name>
import asyncio
import json
import signal
import sys
import time

import websockets

port, upstream_url, source = int(sys.argv[1]), sys.argv[2], sys.argv[3]
address = f"upstream.{source}.message"
subscribers = set()


async def client(ws, path=None):
    # websockets 10 passes the path; later versions have it on ws.request.
    if (path or getattr(ws, "path", "")) != "/eventbus/websocket":
        await ws.close(1008, "unknown path")
        return
    try:
        async for message in ws:
            try:
                frame = json.loads(message)
            except ValueError:
                await ws.close(1003, "not JSON")
                return
            if frame.get("type") == "register" and frame.get("address") == address:
                subscribers.add(ws)
            elif frame.get("type") == "unregister":
                subscribers.discard(ws)
    except websockets.ConnectionClosed:
        pass
    finally:
        subscribers.discard(ws)


async def relay():
    seq = 0
    while True:
        try:
            # No permessage-deflate, as the other relays: compression would cost more CPU than the relaying.
            async with websockets.connect(upstream_url, compression=None, max_size=None) as upstream:
                print("upstream connected", flush=True)
                async for message in upstream:
                    try:
                        data = json.loads(message)
                    except ValueError:
                        continue
                    seq += 1
                    body = {"seq": seq, "ts": int(time.time() * 1000), "source": source, "type": "json", "data": data}
                    out = json.dumps({"type": "rec", "address": address, "body": body}, separators=(",", ":"))
                    websockets.broadcast(subscribers, out)
        except (OSError, websockets.WebSocketException):
            pass
        await asyncio.sleep(1)


async def main():
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(client, "127.0.0.1", port, compression=None, max_size=None):
        print(f"relay listening on {port}", flush=True)
        task = asyncio.ensure_future(relay())
        await stop
        task.cancel()


asyncio.run(main())
