#!/bin/sh
# synthetic.sh SHAPE N > schema.yaml: a schema of N tables for timing the
# generator (make bench). Each table has 6 columns, an index and one
# foreign key: SHAPE roots points every table at one of 10 root tables,
# SHAPE chain at the table before it (a foreign-key chain N deep).
set -eu
shape=$1 n=$2
printf 'schema: syn\nprefix: sy\n\ntables:\n'
i=0
while [ "$i" -lt "$n" ]; do
  if [ "$shape" = roots ] && [ "$i" -ge 10 ]; then parent=$((i % 10))
  elif [ "$shape" = chain ] && [ "$i" -ge 1 ]; then parent=$((i - 1))
  else parent=
  fi
  printf '  t%d:\n    columns:\n' "$i"
  printf '      id:      { type: serial, primary_key: true }\n'
  printf '      name:    { type: varchar(100) }\n'
  printf '      score:   { type: integer, default: "0" }\n'
  printf '      meta:    { type: jsonb, nullable: true }\n'
  printf '      created: { type: timestamptz, default: now() }\n'
  if [ -n "$parent" ]; then
    printf '      parent_id: { type: integer, references: t%d.id, on_delete: cascade }\n' "$parent"
  else
    printf '      parent_id: { type: integer, nullable: true }\n'
  fi
  printf '    indexes:\n      - { columns: [name] }\n'
  i=$((i + 1))
done
