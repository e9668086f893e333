#!/usr/bin/env bash
# generation.sh SCHEMAC: how long `schemac generate` takes on Semantik and
# on synthetic schemas of 100, 300 and 1,000 tables (bench/synthetic.sh):
# every table pointing at one of 10 roots, and a foreign-key chain as deep
# as the schema is long. Two cases, each the median of 3 runs with the
# min-max of the wall time: into a fresh directory (every file created: on
# this disk mostly kernel time, 3 files per table), and again into the same
# directory, as `make` does after an edit (unchanged files are not written).
# The last row is the floor of the fresh case: cp -r of the last output
# (the 1,000-table chain's) into a directory just removed, the same bytes in
# the same files with no generator. On ext4 without a journal each new inode
# is looked for past every inode freed in the last minutes, so creating
# files right after removing as many costs far more than on a quiet disk,
# whoever creates them.
set -euo pipefail
schemac=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
TIMEFORMAT='%R %U %S'

time_fresh() { # schema -> "wall user sys" of one generate into a fresh directory
  rm -rf "$work/out"
  { time "$schemac" generate --schema "$1" --out "$work/out" >/dev/null; } 2>&1
}

time_again() { # the same, into the directory the last run wrote
  { time "$schemac" generate --schema "$1" --out "$work/out" >/dev/null; } 2>&1
}

time_floor() { # dir -> "wall user sys" of copying it into a fresh directory
  rm -rf "$work/floor"
  { time cp -r "$1" "$work/floor"; } 2>&1
}

median_of_3() { # how schema
  { "$1" "$2"; "$1" "$2"; "$1" "$2"; } | sort -g | awk '
    { wall[NR] = $1; user[NR] = $2; sys[NR] = $3 }
    END { printf "%7.3f s (%.3f-%.3f), user %.3f, sys %.3f", wall[2], wall[1], wall[3], user[2], sys[2] }'
}

row() { # label schema
  printf '%-20s fresh %s | again %s\n' "$1" "$(median_of_3 time_fresh "$2")" "$(median_of_3 time_again "$2")"
}

echo
echo "generation (schemac generate), wall seconds, median of 3 (min-max); target: 1,000 tables < 1 s"
row "semantik.yaml" schema/semantik.yaml
for shape in roots chain; do
  for n in 100 300 1000; do
    sh bench/synthetic.sh "$shape" "$n" >"$work/$shape$n.yaml"
    row "$shape, $n tables" "$work/$shape$n.yaml"
  done
done
printf '%-20s fresh %s\n' "cp -r of that output" "$(median_of_3 time_floor "$work/out")"
