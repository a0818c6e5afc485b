#!/usr/bin/env bash
# The query fuzzer's fixed-seed slice: 60 random queries over a fixed schema
# (joins, filters, aggregates, grouping sets, DISTINCT ON, set operations,
# WITH, EXISTS/IN, scalar subqueries, nesting; test/fuzz/gen.pl), each a
# live view compared with a fresh run of its query after the build and after
# two rounds of concurrent random writes (test/fuzz/run.sh).  At least half
# of the queries must be maintained, not refused.  The seed covers every
# kind of construct the generator knows.  `make fuzz` runs the fuzzer long.
#
# Shared cluster, own database.  Set operations over sides of different
# column types are included: they once crashed the engine
# (test/fuzz/repro/001.sql to 003.sql).
set -euo pipefail
unset FUZZ_OWN_CLUSTER
export FUZZ_SEED=20251125 FUZZ_QUERIES=60 FUZZ_ROUNDS=2 FUZZ_TXNS=15 FUZZ_BATCH=10
export FUZZ_MIN_MAINTAINED=50
exec bash "$(dirname "${BASH_SOURCE[0]}")/../fuzz/run.sh"
