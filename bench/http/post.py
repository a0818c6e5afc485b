#!/usr/bin/env python3
"""The webhook client of bench/http.sh, on loopback only:

    post.py URL REQUESTS CLIENTS ROWS_PER_REQUEST FIRST_ID

CLIENTS threads POST REQUESTS bodies in all (a JSON array of
ROWS_PER_REQUEST records {"id", "v"}, ids from FIRST_ID on), each request
on a new connection, and wait for each answer.  Prints the seconds it took
and the number of 200 answers.
"""
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

url, total, clients, per, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
u = urlsplit(url)
ok = [0] * clients


def work(c):
    for r in range(c, total, clients):
        base = first + r * per
        body = json.dumps([{"id": base + i, "v": "x%d" % (base + i)} for i in range(per)]).encode()
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        conn.request("POST", u.path, body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if resp.status == 200:
            ok[c] += 1
        conn.close()


t0 = time.time()
threads = [threading.Thread(target=work, args=(c,)) for c in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("%.3f %d" % (time.time() - t0, sum(ok)))
