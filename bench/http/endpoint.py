#!/usr/bin/env python3
"""A fast endpoint for bench/http.sh, on loopback only (asyncio, HTTP/1.1
keep-alive):

    endpoint.py PORT DELAY_MS

POST /score answers {"score": 2 * x} for a body {"x": x, ...} after
DELAY_MS; GET /count the number of /score requests so far.  It exits by
itself after 900 s.
"""
import asyncio
import json
import sys

PORT = int(sys.argv[1])
DELAY = int(sys.argv[2]) / 1000
count = 0


async def handle(reader, writer):
    global count
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path = lines[0].split(" ")[:2]
            length = 0
            for h in lines[1:]:
                if h.lower().startswith("content-length:"):
                    length = int(h.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            if method == "POST" and path == "/score":
                count += 1
                if DELAY:
                    await asyncio.sleep(DELAY)
                try:
                    x = json.loads(body).get("x") or 0
                    out, code = json.dumps({"score": 2 * x}).encode(), b"200 OK"
                except (ValueError, AttributeError):
                    out, code = b"{}", b"400 Bad Request"
            elif path == "/count":
                out, code = str(count).encode(), b"200 OK"
            else:
                out, code = b"{}", b"404 Not Found"
            writer.write(b"HTTP/1.1 " + code + b"\r\nContent-Type: application/json\r\nContent-Length: "
                         + str(len(out)).encode() + b"\r\n\r\n" + out)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", PORT, backlog=512)
    print("ready", flush=True)
    async with server:
        await asyncio.wait_for(server.serve_forever(), 900)

try:
    asyncio.run(main())
except asyncio.TimeoutError:
    pass
