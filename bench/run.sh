#!/usr/bin/env bash
# Run every benchmark in turn and print their tables, each under a heading.
#
#   bash bench/run.sh [workload...]       default: all, in the order below
#   BENCH_QUICK=1 bash bench/run.sh       small and short (a smoke run, a few minutes)
#
# Each workload starts its own throwaway cluster (ports 55490-55502) and
# stops it. Progress goes to stderr, the tables to stdout. A workload that
# fails is reported and the others still run; the exit status is then 1.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all=(writes freshness bulk initial_build memory cost_per_change kafka_ingest http_poll http knn recursive time tpch)
(( $# )) && all=("$@")

declare -A title=(
  [writes]="Write throughput with live views (writes.sh)"
  [freshness]="Freshness: commit to visible (freshness.sh)"
  [bulk]="Bulk statements vs REFRESH MATERIALIZED VIEW (bulk.sh)"
  [initial_build]="Initial build vs CREATE MATERIALIZED VIEW (initial_build.sh)"
  [memory]="Engine memory per source row (memory.sh)"
  [cost_per_change]="Cost of one change, small vs large source (cost_per_change.sh)"
  [kafka_ingest]="Kafka ingest vs kcat (kafka_ingest.sh)"
  [http_poll]="HTTP poll ingest vs curl (http_poll.sh)"
  [http]="HTTP calls from a live view vs sequential calls (http.sh)"
  [knn]="Live kNN classifier on Fashion-MNIST vs a C brute force (knn.sh)"
  [recursive]="Recursive views and iteration on a power-law graph (recursive.sh)"
  [time]="Event time: a windowed count with and without a cutoff (time.sh)"
  [tpch]="TPC-H: the 22 queries as live views vs REFRESH MATERIALIZED VIEW (tpch.sh)"
)

mode=$([[ -n ${BENCH_QUICK:-} && ${BENCH_QUICK:-} != 0 ]] && echo "quick (BENCH_QUICK=1)" || echo "default sizes")
echo "# pathway benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $mode"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)," \
     "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
     "$(/usr/lib/postgresql/15/bin/postgres --version), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . 2>/dev/null || echo ' + local changes')"

failed=()
start=$(date +%s)
for w in "${all[@]}"; do
  [[ -f bench/$w.sh ]] || { echo "run: no bench/$w.sh" >&2; failed+=("$w"); continue; }
  echo
  echo "## ${title[$w]:-$w}"
  t0=$(date +%s)
  bash "bench/$w.sh"
  rc=$?
  echo
  if (( rc == 0 )); then
    echo "_($(( $(date +%s) - t0 )) s)_"
  else
    echo "**$w.sh failed (exit status $rc); see its output on stderr.**"
    failed+=("$w")
  fi
done
echo
echo "_Total: $(( $(date +%s) - start )) s._"
if (( ${#failed[@]} )); then
  echo "run: failed: ${failed[*]}" >&2
  exit 1
fi
