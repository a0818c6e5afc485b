#!/usr/bin/env bash
# The tree keeps its shape (docs/architecture.md, "Layers"):
#  - includes between folders point one way, along the allowed arrows only,
#    and no folder includes a folder that includes it back;
#  - engine/ includes no catalog, SPI or transaction header of PostgreSQL;
#  - no C file is over 1,000 lines;
#  - no SPI statement's result is thrown away;
#  - every global symbol of a folder's objects carries one of its prefixes;
#  - every folder has a README, and nothing points at a file that is not in
#    the repository (DESIGN.md).
# Reads the source tree and the objects make built; needs no server.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
root=$(cd "$here/../.." && pwd)
cd "$root"

folders=(engine plan meta connectors bgworker extension)
# folder -> the folders it may include (pathway.h, at the top, is open to all)
declare -A allowed=(
  [engine]=""
  [plan]="engine"
  [meta]=""
  [connectors]="engine meta"
  [bgworker]="plan connectors engine meta"
  [extension]="plan meta bgworker connectors"
)
# headers of a folder that another may include although the folder itself
# is not among its arrows' ends: none beyond those; narrower rules below
declare -A only_headers=(
  [extension:bgworker]="bgworker/shmem.h bgworker/stats.h bgworker/launcher.h"
  [extension:connectors]="connectors/kafka_options.h connectors/http_options.h connectors/http_client.h connectors/embed.h connectors/http_call.h"
)
# global symbols: the prefixes of each folder (and the SQL-callable
# functions, pathway_*, with their pg_finfo_* records)
declare -A prefixes=(
  [engine]="arrangement_ zbatch_ zrow_ op_ graph_ engine_"
  [plan]="plan_"
  [meta]="meta_"
  [connectors]="source_ decoding_ snapshot_ writer_ kafka_ table_source_ http_ land_ embed_ _PG_output_plugin_init"
  [bgworker]="worker_ adopt_ epoch_ views_ stats_ launcher_ listener_ shmem_ memory_ pathway_shm pathway_db_ pathway_worker_ pathway_launcher_ pathway_listener_ pathway_wake_"
  [extension]="pathway_ _PG_init Pg_magic_func"
  # (bgworker's shmem.c and launcher.c keep the pathway_ names the SQL face
  # and the background worker registration use)
)

tap_plan 8

# 1. arrows
bad=
for f in "${folders[@]}"; do
  while IFS= read -r inc; do
    to=${inc%%/*}
    [[ $to == "$f" ]] && continue
    ok=0
    for a in ${allowed[$f]}; do [[ $a == "$to" ]] && ok=1; done
    if ((ok)) && [[ -n ${only_headers[$f:$to]:-} ]]; then
      ok=0
      for h in ${only_headers[$f:$to]}; do [[ $h == "$inc" ]] && ok=1; done
    fi
    ((ok)) || bad+="$f -> $inc; "
  done < <(grep -ho '#include "\(engine\|plan\|meta\|connectors\|bgworker\|extension\)/[^"]*"' "$f"/*.[ch] 2>/dev/null |
           sed 's/#include "//; s/"$//' | sort -u)
done
tap_is "${bad:-none}" none "includes between folders follow the allowed arrows"

# 2. no cycle: no folder includes one that includes it back (directly or not)
cycle=
for f in "${folders[@]}"; do
  # folders reachable from f
  seen=" " todo=" ${allowed[$f]} "
  for _ in 1 2 3 4 5 6; do
    next=" "
    for g in $todo; do
      [[ $seen == *" $g "* ]] && continue
      seen+="$g "
      # the real includes of g, not its allowance
      for t in $(grep -ho '#include "\(engine\|plan\|meta\|connectors\|bgworker\|extension\)/' "$g"/*.[ch] 2>/dev/null |
                 sed 's/#include "//; s#/$##' | sort -u); do
        [[ $t != "$g" ]] && next+="$t "
      done
    done
    todo=$next
  done
  [[ $seen == *" $f "* ]] && cycle+="$f; "
done
tap_is "${cycle:-none}" none "no folder includes a folder that includes it back"

# 3. engine/ is free of catalog, SPI and transaction headers
tap_is "$(grep -l '#include "\(catalog/\|executor/spi\|access/xact\)' engine/*.[ch] 2>/dev/null | tr '\n' ' ' || true)" "" \
  "engine/ includes no catalog, SPI or transaction header"

cfiles=()
for f in "${folders[@]}"; do for c in "$f"/*.c; do [[ -e $c ]] && cfiles+=("$c"); done; done

# 4. file sizes
big=$(wc -l "${cfiles[@]}" | awk '$2 != "total" && $1 > 1000 { printf "%s (%d) ", $2, $1 }')
tap_is "${big:-none}" none "no C file is over 1,000 lines"

# 5. SPI results
unchecked=$(grep -n '^[[:space:]]*\(([[:space:]]*void[[:space:]]*)[[:space:]]*\)\{0,1\}SPI_exec' "${cfiles[@]}" || true)
tap_is "${unchecked:-none}" none "no SPI statement's result is thrown away"

# 6. symbol prefixes (objects as make built them)
wrong=
for f in "${folders[@]}"; do
  for o in "$f"/*.o; do
    [[ -e $o && -e ${o%.o}.c ]] || continue
    syms=$(nm -g --defined-only "$o" | awk '{print $3}')
    while read -r sym; do
      [[ -n $sym ]] || continue
      ok=0
      # SQL-callable (a pg_finfo_ record beside it): named as the install script names it
      [[ $sym == pg_finfo_* ]] && ok=1
      grep -qx "pg_finfo_$sym" <<<"$syms" && ok=1
      for p in ${prefixes[$f]}; do [[ $sym == "$p"* ]] && ok=1; done
      ((ok)) || wrong+="$o:$sym "
    done <<<"$syms"
  done
done
if compgen -G "engine/*.o" >/dev/null; then
  tap_is "${wrong:-none}" none "every global symbol carries its folder's prefix"
else
  tap_ok 1 "every global symbol carries its folder's prefix (no objects: run make first)"
fi

# 7. READMEs
missing=
for f in "${folders[@]}" sql test bench docs; do [[ -f $f/README.md ]] || missing+="$f "; done
tap_is "${missing:-none}" none "every folder has a README"

# 8. nothing points at a design document that is not there
tap_is "$(grep -rln 'DESIGN\.md\|DESIGN, "' --include=*.c --include=*.h --include=*.md . 2>/dev/null | grep -v '^./test/shell/layout.sh$' | tr '\n' ' ' || true)" "" \
  "no file points at a DESIGN.md"
tap_done
