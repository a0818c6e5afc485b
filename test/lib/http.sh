# The HTTP server of the HTTP source tests (test/http/server.py), on
# 127.0.0.1.  Sourced, never run; source test/lib/tap.sh first.
#
#   http_start        start it on the first free port of PATHWAY_HTTP_PORTS
#                     (default 61480-61489); sets HTTP_PORT, HTTP_DIR (the
#                     files it serves; write them there), HTTP_URL
#   http_stop         stop it and remove its files (safe to call twice)
#   http_requests P   how many requests for path P it got so far
#   http_query P K    the value of query parameter K of each request for
#                     path P, one a line ("-" when absent)
#   http_header P H   header H (lower case) of each request for path P
: "${HTTP_SERVER:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/http/server.py}"

HTTP_PID=
HTTP_DIR=
HTTP_PORT=
HTTP_URL=

http_start() {
  local p deadline
  HTTP_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pathway-http.XXXXXX") || return 1
  chmod 755 "$HTTP_DIR"
  for p in ${PATHWAY_HTTP_PORTS:-61480 61481 61482 61483 61484 61485 61486 61487 61488 61489}; do
    port_free "$p" || continue
    rm -f "$HTTP_DIR/ready"
    python3 "$HTTP_SERVER" "$p" "$HTTP_DIR" 2>"$HTTP_DIR/server.err" &
    HTTP_PID=$!
    deadline=$((SECONDS + 10))
    while [[ ! -e $HTTP_DIR/ready ]] && kill -0 "$HTTP_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    if [[ -e $HTTP_DIR/ready ]]; then
      HTTP_PORT=$p
      HTTP_URL=http://127.0.0.1:$p
      return 0
    fi
    kill "$HTTP_PID" 2>/dev/null || true
    wait "$HTTP_PID" 2>/dev/null || true
    HTTP_PID=
  done
  echo "http_start: no free port for the test server" >&2
  return 1
}

http_stop() {
  if [[ -n $HTTP_PID ]]; then
    kill "$HTTP_PID" 2>/dev/null || true
    wait "$HTTP_PID" 2>/dev/null || true
  fi
  HTTP_PID=
  [[ -z $HTTP_DIR ]] || rm -rf -- "$HTTP_DIR"
  HTTP_DIR=
}

_http_log() {
  python3 - "$HTTP_DIR/requests.log" "$@" <<'PY'
import json, sys
log, what, path = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    lines = [json.loads(l) for l in open(log)]
except OSError:
    lines = []
lines = [l for l in lines if l["path"] == path]
if what == "count":
    print(len(lines))
elif what == "query":
    for l in lines:
        print(l["query"].get(sys.argv[4], "-"))
else:
    for l in lines:
        print(l["headers"].get(sys.argv[4], "-"))
PY
}
http_requests() { _http_log count "$1"; }
http_query() { _http_log query "$1" "$2"; }
http_header() { _http_log header "$1" "$2"; }
