#!/bin/sh
# Makes sure the Debian packages schemac needs are installed.
# As root it installs what is missing (running apt-get update once if a
# package is unknown); otherwise it prints the one command to run and fails.
# Usage: mk/deps.sh [extra-package ...]
# graphviz (dot) and libxml2-utils (xmllint) are tools: `schemac erd --format
# svg` and its test; mandoc lints docs/man (tests/generator/test_docs.c);
# nothing links against them. python3-jsonschema and python3-yaml are
# test-only: tests/jsonschema/validate.py checks the YAML schemas against
# schema/schemac.schema.json. pgbouncer is started by the tests
# (tests/pg/with-pgbouncer, `make test-scale`), never as a service.
set -eu

need="libyaml-dev libpq-dev libjansson-dev libcmocka-dev postgresql-15 pkg-config gcc make graphviz libxml2-utils mandoc python3 python3-jsonschema python3-yaml pgbouncer $*"
missing=""
for p in $need; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "schemac needs these Debian packages:$missing" >&2
  echo "Run:  sudo apt-get install -y$missing" >&2
  exit 1
fi

echo "mk/deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# postgresql-15 would otherwise create and start a system cluster we never use.
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/schemac.conf
if ! apt-get install -y --no-install-recommends $missing >/dev/null; then
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends $missing >/dev/null
fi
