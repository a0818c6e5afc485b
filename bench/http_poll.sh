#!/usr/bin/env bash
# HTTP poll ingest: records/s from a paginated JSON endpoint into a stream
# table (create_http_source with a cursor), against fetching the same pages
# with curl alone and against a shell ETL that fetches each page with curl
# and inserts it with psql (jsonb_to_recordset), measured in the same run
# (alternating rounds, medians).
#
#   bash bench/http_poll.sh [records] [page] [rounds]
#
# Defaults: 100000 records in pages of 1000, 3 rounds; with BENCH_QUICK=1:
# 10000 records, 1 round.  The endpoint is test/http/server.py's /items
# (python3, on 127.0.0.1): ?page=P&after=K gives the P records after K,
# {"data": {"items": [...]}}.  Every round reads all pages, once per
# consumer:
#   curl    one curl per page, in sequence, until an empty page
#   etl     the same, each page then INSERTed by psql into a table shaped
#           like the stream table (plain PostgreSQL)
#   pathway create_http_source (records "data.items", cursor_param "after",
#           cursor_field "id") and COMMIT; the time until every page has
#           landed (pathway.sources.positions->'polls'), checked to hold N
#           distinct records
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source bench/lib.sh
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
source test/lib/http.sh

if quick; then n=${1:-10000}; page=${2:-1000}; rounds=${3:-1}; else n=${1:-100000}; page=${2:-1000}; rounds=${3:-3}; fi
pages=$(( (n + page - 1) / page + 1 ))   # the last, empty page ends the chain
die() { note "FAILED: $*"; exit 1; }

bench_start "${PATHWAY_BENCH_PORT:-55498}"
http_poll_cleanup() {
  local rc=$?
  set +e
  http_stop
  (exit "$rc")
  bench_cleanup
}
trap http_poll_cleanup EXIT
http_start || die "the HTTP server did not start"
echo "$n" >"$HTTP_DIR/items_count"
q "CREATE TABLE etl (id int PRIMARY KEY, name text, grp int)" >/dev/null

now() { date +%s.%N; }
run_curl() {
  local after=0 body
  while :; do
    body=$(curl -sf "$HTTP_URL/items?page=$page&after=$after") || die "curl failed"
    [[ $body == *'"items": []'* ]] && break
    after=$(sed -n 's/.*"next": \([0-9]*\)}$/\1/p' <<<"$body")
    [[ -z ${1:-} ]] || psql -XqAt -v ON_ERROR_STOP=1 -v body="$body" <<<"INSERT INTO etl SELECT * FROM jsonb_to_recordset((:'body')::jsonb->'data'->'items') AS x(id int, name text, grp int);"
  done
}
run_pathway() {
  local r=$1 got
  q "SELECT pathway.create_http_source('items_$r', '$HTTP_URL/items?page=$page', 'json', 'id int, name text, grp int',
       '{\"records\": \"data.items\", \"cursor_param\": \"after\", \"cursor_field\": \"id\", \"interval\": \"1h\"}')" >/dev/null
  while :; do
    got=$(q "SELECT coalesce((positions->>'polls')::int, 0) FROM pathway.sources WHERE name = 'items_$r'")
    ((got >= pages)) && break
    sleep 0.02
  done
}

declare -A t
for ((r = 1; r <= rounds; r++)); do
  note "round $r/$rounds: $n records in pages of $page"
  s=$(now); run_curl; t[curl]+="$(echo "$(now) - $s" | bc) "
  q "TRUNCATE etl" >/dev/null
  s=$(now); run_curl etl; t[etl]+="$(echo "$(now) - $s" | bc) "
  [[ $(q "SELECT count(*) FROM etl") == "$n" ]] || die "etl holds $(q "SELECT count(*) FROM etl") rows, not $n"
  s=$(now); run_pathway "$r"; t[pathway]+="$(echo "$(now) - $s" | bc) "
  [[ $(q "SELECT count(DISTINCT id) FROM items_$r") == "$n" && $(q "SELECT count(*) FROM items_$r") == "$n" ]] ||
    die "items_$r holds $(q "SELECT count(*) FROM items_$r") rows, not $n distinct"
  q "SELECT pathway.drop_source('items_$r')" >/dev/null
done

med() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | median; }
curl_s=$(med "${t[curl]}")
echo
echo "| consumer | seconds (median of $rounds) | records/s | vs curl alone |"
echo "| --- | ---: | ---: | ---: |"
for k in curl etl pathway; do
  v=$(med "${t[$k]}")
  printf '| %s | %.2f | %.0f | %.2fx |\n' "$k" "$v" "$(echo "$n / $v" | bc -l)" "$(echo "$v / $curl_s" | bc -l)"
done
echo
echo "$n records, pages of $page ($pages requests each), test/http/server.py on 127.0.0.1."
