#!/usr/bin/env bash
# The SQL examples of docs/recursive.md, run and checked as
# test/shell/doc_examples.sh checks README.md's tour: every statement in
# turn in a fresh database, the output the text shows compared with psql's.
#
# Shared cluster, own database.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
DOC_EXAMPLES=docs/recursive.md exec bash "$here/doc_examples.sh"
