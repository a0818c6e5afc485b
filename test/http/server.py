#!/usr/bin/env python3
"""A small HTTP server for the HTTP source tests, on loopback only.

    server.py PORT DIR

Serves from DIR (files the test writes) and logs every request as one JSON
line ({"path", "query", "headers"}) to DIR/requests.log.  Routes:

  /items?after=K      records {"id", "name", "grp"} of ids K+1.. (at most
                      "page" of them, default 5) out of DIR/items_count
                      (default 0), as {"data": {"items": [...]}, "next": id
                      of the last one (null when none)}; DIR/items_delay_ms
                      delays every answer (to kill the worker mid-chain)
  /file/NAME          DIR/NAME as is, with an ETag of its content; an
                      If-None-Match that matches gets 304
  /link?page=N        {"n": N} records of page N (1..3), with a
                      Link: rel="next" header to page N+1 up to 3
  /flaky/ID?fail=N    500 for the first N requests of ID, then [{"v": ID}]
  /status/CODE        that status, body "{}"
  /redirect?to=URL    302 to URL
  /huge?bytes=N       a JSON array padded to N bytes
  /slow?ms=N          [{"v": 1}] after N ms
  /drop               promises 1000 bytes, sends 10 and closes
  /offsite-link       a page whose Link: rel="next" names another port
  /slow-body?ms=N     [{"v": 1}] one byte every N ms (default 200)
  /malformed          200 with a body that is not JSON ('[{"v": 1},')
  /wrong-type         200 with valid JSON records but Content-Type text/html
  /stream/NAME?format=sse|ndjson
                      a stream of the records DIR/stream_NAME holds (one
                      JSON object a line; the test appends more while it
                      runs: the connection stays open and sends them as
                      they come, with a ": ping" comment every second in
                      SSE).  SSE: record i (from 1) is the event "id: i",
                      its data split over two data lines when it has a
                      space, after a comment and an "event:" line; a
                      Last-Event-ID header starts after that id.  NDJSON:
                      each connection goes on after the last line the
                      previous one sent whole (a live feed).  DIR/
                      stream_NAME_drop holds N: each connection sends N
                      records, then half of the next one, and drops
                      (empty or absent: never drops)
  POST /echo          the request's body back
  POST /score         {"score": 2 * the body's "x"} (a number), after
                      DIR/score_delay_ms; 500 when the body has "fail": true
                      (calls from live views)
  POST /redirect?to=U 307 to U
  POST /sink/NAME     a receiver for HTTP sinks: appends {"at", "headers",
                      "body"} (the body as text) to DIR/sink_NAME.log and
                      answers 200, unless told otherwise by files in DIR:
                      sink_NAME_fail holds N: the next N requests get 500
                      (and are logged with "failed": true); sink_NAME_hang_ms
                      holds MS: every request waits that long before its
                      answer (longer than the sink's timeout: it hangs);
                      sink_NAME_status holds a status every request gets;
                      sink_NAME_answer_bytes holds N: a 200 answer of N bytes
  POST /v1/embeddings an OpenAI-compatible embeddings endpoint: for each
                      input a vector of 16 whole numbers, the count of its
                      words (lower case, letters and digits) that hash
                      (md5) to each dimension, so texts sharing words are
                      near; the log line also has "inputs" (their number)
                      and "model".  DIR/embed_status, when present, is the
                      status every answer gets instead (a failing
                      endpoint); DIR/embed_delay_ms delays every answer

It exits by itself after 600 s.
"""
import hashlib
import json
import os
import re
import select
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PORT = int(sys.argv[1])
DIR = sys.argv[2]
lock = threading.Lock()
flaky_counts = {}
stream_sent = {}  # NDJSON streams: the last record sent whole, by name


def read(name, default=None):
    try:
        with open(os.path.join(DIR, name), "rb") as f:
            return f.read()
    except OSError:
        return default


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body=b"", headers=None, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        u = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        with lock:
            with open(os.path.join(DIR, "requests.log"), "a") as f:
                f.write(json.dumps({"at": time.time(), "path": u.path, "query": q,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        p = u.path
        if p == "/items":
            delay = int(read("items_delay_ms", b"0"))
            if delay:
                time.sleep(delay / 1000)
            count = int(read("items_count", b"0"))
            after = int(q.get("after", "0"))
            page = int(q.get("page", "5"))
            items = [{"id": i, "name": "item %d" % i, "grp": i % 3}
                     for i in range(after + 1, min(count, after + page) + 1)]
            body = {"data": {"items": items}, "next": items[-1]["id"] if items else None}
            self.send(200, json.dumps(body).encode())
        elif p.startswith("/file/"):
            body = read(p[len("/file/"):])
            if body is None:
                self.send(404, b"{}")
                return
            etag = '"%s"' % hashlib.sha1(body).hexdigest()[:16]
            if self.headers.get("If-None-Match") == etag:
                self.send(304, b"", {"ETag": etag})
            else:
                self.send(200, body, {"ETag": etag})
        elif p == "/link":
            n = int(q.get("page", "1"))
            headers = {}
            if n < 3:
                headers["Link"] = '<http://127.0.0.1:%d/link?page=%d>; rel="next"' % (PORT, n + 1)
            self.send(200, json.dumps([{"n": n * 10 + i} for i in range(2)]).encode(), headers)
        elif p == "/offsite-link":
            self.send(200, b'[{"n": 1}]', {"Link": '<http://127.0.0.1:%d/link?page=2>; rel="next"' % (PORT + 1)})
        elif p.startswith("/flaky/"):
            key = p[len("/flaky/"):]
            with lock:
                flaky_counts[key] = flaky_counts.get(key, 0) + 1
                n = flaky_counts[key]
            if n <= int(q.get("fail", "2")):
                self.send(500, b'{"error": "try again"}')
            else:
                self.send(200, json.dumps([{"v": key}]).encode())
        elif p.startswith("/status/"):
            self.send(int(p[len("/status/"):]), b"{}")
        elif p == "/redirect":
            self.send(302, b"", {"Location": q.get("to", "/")})
        elif p == "/huge":
            n = int(q.get("bytes", "2000000"))
            pad = "x" * max(0, n - 40)
            self.send(200, json.dumps([{"v": pad}]).encode())
        elif p == "/slow":
            time.sleep(int(q.get("ms", "3000")) / 1000)
            self.send(200, b'[{"v": 1}]')
        elif p.startswith("/stream/"):
            self.stream(p[len("/stream/"):], q.get("format", "sse"))
        elif p == "/malformed":
            self.send(200, b'[{"v": 1},')
        elif p == "/slow-body":
            body = b'[{"v": 1}]'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(int(q.get("ms", "200")) / 1000)
            except OSError:
                pass
        elif p == "/wrong-type":
            self.send(200, b'[{"v": 1}]', ctype="text/html")
        elif p == "/drop":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'[{"v": 1},')
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            self.send(404, b"{}")

    def do_POST(self):
        """/echo: the request's body back (the request is logged like a GET)."""
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        path = urlsplit(self.path).path
        line = {"at": time.time(), "path": path, "query": {},
                "headers": {k.lower(): v for k, v in self.headers.items()}}
        req = None
        if path == "/v1/embeddings":
            try:
                req = json.loads(body)
                inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
                line["inputs"] = len(inputs)
                line["model"] = req.get("model")
            except (ValueError, KeyError, TypeError):
                req = None
        with lock:
            with open(os.path.join(DIR, "requests.log"), "a") as f:
                f.write(json.dumps(line) + "\n")
        if path == "/echo":
            self.send(200, body)
        elif path == "/score":
            delay = int(read("score_delay_ms", b"0"))
            if delay:
                time.sleep(delay / 1000)
            try:
                req = json.loads(body)
            except ValueError:
                req = None
            if not isinstance(req, dict) or req.get("fail") is True:
                self.send(500, b'{"error": "failing on purpose"}')
            else:
                self.send(200, json.dumps({"score": 2 * (req.get("x") or 0)}).encode())
        elif path.startswith("/sink/"):
            self.sink(path[len("/sink/"):], line["headers"], body)
        elif path == "/redirect":
            q = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            self.send(307, b"", {"Location": q.get("to", "/")})
        elif path == "/v1/embeddings":
            delay = int(read("embed_delay_ms", b"0"))
            if delay:
                time.sleep(delay / 1000)
            status = read("embed_status")
            if status is not None:
                self.send(int(status), b'{"error": {"message": "failing on purpose"}}')
            elif req is None:
                self.send(400, b'{"error": {"message": "bad request"}}')
            else:
                data = [{"object": "embedding", "index": i, "embedding": embed(t)}
                        for i, t in enumerate(inputs)]
                self.send(200, json.dumps({"object": "list", "model": req.get("model"),
                                           "data": data}).encode())
        else:
            self.send(404, b"{}")


    def stream(self, name, fmt):
        """A long-lived answer: the records of DIR/stream_NAME as SSE or NDJSON."""
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            self.send(404, b"{}")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if fmt == "sse" else "application/x-ndjson")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if fmt == "sse":
            try:
                nxt = int(self.headers.get("Last-Event-ID", "0")) + 1
            except ValueError:
                nxt = 1
        else:
            with lock:
                nxt = stream_sent.get(name, 0) + 1
        drop = read("stream_%s_drop" % name, b"").strip()
        drop = int(drop) if drop else None
        sent, last_ping = 0, time.time()
        deadline = time.time() + 300
        try:
            if fmt == "sse":
                self.wfile.write(b": hello\n\n")
                self.wfile.flush()
            while time.time() < deadline:
                recs = (read("stream_" + name, b"") or b"").decode().splitlines()
                if fmt != "sse":
                    if self.peer_gone():
                        return  # a feed's records are for the connection that is open
                    with lock:
                        nxt = stream_sent.get(name, 0) + 1
                while nxt <= len(recs):
                    rec = recs[nxt - 1]
                    if fmt == "sse":
                        if " " in rec:
                            a, b = rec.split(" ", 1)
                            data = "data: %s\ndata: %s\n" % (a, b)
                        else:
                            data = "data: %s\n" % rec
                        out = (": record %d\nevent: record\nid: %d\n%s\n" % (nxt, nxt, data)).encode()
                    else:
                        out = (rec + "\n").encode()
                    if drop is not None and sent == drop:
                        self.wfile.write(out[:len(out) // 2])
                        self.wfile.flush()
                        self.connection.shutdown(2)
                        return
                    self.wfile.write(out)
                    self.wfile.flush()
                    if fmt != "sse":
                        with lock:
                            stream_sent[name] = nxt
                    nxt += 1
                    sent += 1
                if fmt == "sse" and time.time() - last_ping >= 1:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                    last_ping = time.time()
                time.sleep(0.05)
        except OSError:
            pass  # the client went away

    def peer_gone(self):
        """Has the client closed its end (EOF waiting to be read)?"""
        r, _, _ = select.select([self.connection], [], [], 0)
        if not r:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def sink(self, name, headers, body):
        """A receiver: log every request; fail, hang or answer as DIR says."""
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):
            self.send(404, b"{}")
            return
        hang = int(read("sink_%s_hang_ms" % name, b"0"))
        status = read("sink_%s_status" % name)
        with lock:
            fail = int(read("sink_%s_fail" % name, b"0"))
            if fail > 0:
                with open(os.path.join(DIR, "sink_%s_fail" % name), "w") as f:
                    f.write(str(fail - 1))
            with open(os.path.join(DIR, "sink_%s.log" % name), "a") as f:
                f.write(json.dumps({"at": time.time(), "headers": headers,
                                    "body": body.decode("utf-8", "replace"),
                                    "failed": fail > 0 or status is not None,
                                    "hung": hang > 0}) + "\n")
        if hang:
            time.sleep(hang / 1000)
        if fail > 0:
            self.send(500, b'{"error": "failing on purpose"}')
        elif status is not None:
            self.send(int(status), b"{}")
        else:
            n = int(read("sink_%s_answer_bytes" % name, b"0"))
            self.send(200, b'{"ok": true}' if n == 0 else b" " * n)


def embed(text):
    """16 dimensions: how many of the text's words hash to each."""
    v = [0] * 16
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        v[hashlib.md5(w.encode()).digest()[0] % 16] += 1
    return v


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # many connections at once (batched calls): no SYN retransmits
    def handle_error(self, request, client_address):
        pass  # a client that timed out and left (the slow and drop routes)


server = Server(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
threading.Timer(600, server.shutdown).start()
with open(os.path.join(DIR, "ready"), "w") as f:
    f.write("ok\n")
server.serve_forever()
