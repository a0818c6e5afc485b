#!/usr/bin/env bash
# The SQL examples of README.md's five-minute tour, run as a newcomer would
# paste them: each statement in turn, in a fresh database, and the output
# the text shows under a statement (its "-- " comment lines) compared with
# what psql prints: its notices and errors (with their details) always, its
# rows when the text shows rows. A statement the text shows no output for
# must not fail. DOC_EXAMPLES=FILE... checks other files the
# same way (every ```sql block in them, in order, in one database);
# FILE#SECTION takes the blocks of the "## SECTION" part of FILE only.
#
# Shared cluster, own database.
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/../lib/tap.sh"
root=$(cd "$here/../.." && pwd)

db=pathway_doc_examples_$$
work=$(mktemp -d)
db_created=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((db_created)); then drop_pathway_db "$db" >/dev/null 2>&1 || true; fi
  rm -rf -- "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# split FILE SECTION: the ```sql blocks (of the section headed SECTION, or of
# the whole file) into $work/NNN.sql (one statement) and $work/NNN.out (the
# output the text shows under it, "-- " taken off)
split_examples() {
  perl -e '
    my ($file, $section, $dir) = @ARGV;
    open(my $fh, "<", $file) or die "$file: $!";
    my ($in_section, $in_sql, $n, $stmt, $out, $seen_stmt) = ($section eq "" ? 1 : 0, 0, 0, "", "", 0);
    my $flush = sub {
      return if $stmt eq "";
      $n++;
      open(my $s, ">", sprintf("%s/%03d.sql", $dir, $n)) or die; print $s $stmt; close $s;
      open(my $o, ">", sprintf("%s/%03d.out", $dir, $n)) or die; print $o $out; close $o;
      ($stmt, $out) = ("", "");
    };
    while (my $line = <$fh>) {
      if ($section ne "" && $line =~ /^## /) { $in_section = ($line =~ /^## \Q$section\E\s*$/) ? 1 : 0; }
      next unless $in_section;
      if (!$in_sql && $line =~ /^```sql\s*$/) { $in_sql = 1; $seen_stmt = 0; next; }
      next unless $in_sql;
      if ($line =~ /^```\s*$/) { $flush->(); $in_sql = 0; next; }
      if ($line =~ /^-- ?(.*)$/) {
        my $shown = $1;
        if ($stmt eq "" || $stmt =~ /;\s*$/) {
          # output under the statement before it; comments before any statement are prose
          $out .= "$shown\n" if $seen_stmt;
          next;
        }
      }
      next if $line =~ /^\s*$/ && ($stmt eq "" || $stmt =~ /;\s*$/);
      # a new statement starts: the previous one is complete
      $flush->() if $stmt =~ /;\s*$/;
      $stmt .= $line;
      $seen_stmt = 1;
    }
    $flush->();
  ' "$1" "$2" "$work"
}

sql -d postgres -c "CREATE DATABASE $db" >/dev/null
db_created=1

files=(${DOC_EXAMPLES:-README.md})
sections=()
[[ -n ${DOC_EXAMPLES:-} ]] || sections=("A five-minute tour")

count=0
for e in "${files[@]}"; do
  f=${e%%#*} sec=${sections[0]:-}
  [[ $e != *#* ]] || sec=${e#*#}
  rm -f "$work"/*.sql "$work"/*.out
  split_examples "$root/$f" "$sec"
  for s in "$work"/*.sql; do
    [[ -e $s ]] || break
    count=$((count + 1))
  done
done
((count > 0)) || tap_bail "no SQL examples found"
tap_plan "$count"

for e in "${files[@]}"; do
  f=${e%%#*} sec=${sections[0]:-}
  [[ $e != *#* ]] || sec=${e#*#}
  rm -f "$work"/*.sql "$work"/*.out
  split_examples "$root/$f" "$sec"
  for s in "$work"/*.sql; do
    o=${s%.sql}.out
    first=$(head -n 1 "$s" | cut -c1-60)
    got=$(psql -X -q -P footer=off -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" \
            -d "$db" -f "$s" 2>&1 | sed -E 's/^psql:[^:]*:[0-9]+: //; s/[[:space:]]+$//') && rc=0 || rc=$?
    if [[ -s $o ]]; then
      # messages (notices, errors and their details) always; rows when shown
      # (trailing blanks, which the text cannot keep, are not compared)
      msg_re='^(INFO|NOTICE|WARNING|ERROR|DETAIL|HINT):'
      want_msgs=$(grep -E "$msg_re" "$o" || true)
      want_rows=$(grep -vE "$msg_re" "$o" || true)
      got_msgs=$(grep -E "$msg_re" <<<"$got" || true)
      got_rows=$(grep -vE "$msg_re" <<<"$got" || true)
      [[ -n $want_rows ]] || got_rows=
      if [[ $got_msgs == "$want_msgs" && $got_rows == "$want_rows" ]]; then
        tap_ok 0 "$f: $first"
      else
        tap_ok 1 "$f: $first"
        tap_diag "the text shows:" "$(sed 's/^/  /' "$o")" "psql prints:" "$(sed 's/^/  /' <<<"$got")"
      fi
    else
      tap_ok "$rc" "$f: $first (no output shown; must not fail)"
      ((rc == 0)) || tap_diag "$got"
    fi
  done
done
tap_done
