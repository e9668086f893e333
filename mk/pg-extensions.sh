#!/bin/sh
# CI only (.ci/run), never `make`: installs Citus and pgvector from
# ../shared/pg-extensions when that folder exists, so that the vector and
# Citus tiers run. The tarball was built against Debian's PostgreSQL 15.20
# and citus.so needs symbols 15.18 lacks ("undefined symbol:
# heap_datum_check"), so the server is upgraded to the archive's newest 15.x
# first (bookworm-security carries 15.20). Prints what it did; exit 0 when
# the folder is missing (the tiers then print "skipped").
# Usage: mk/pg-extensions.sh [DIR]      DIR defaults to ../shared/pg-extensions
set -eu
dir=${1:-../shared/pg-extensions}
if [ ! -x "$dir/install.sh" ] && [ ! -f "$dir/install.sh" ]; then
  echo "pg-extensions: $dir not found; the vector and Citus tiers will be skipped"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "pg-extensions: needs root (apt-get, /usr/lib/postgresql)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
installed=$(dpkg-query -W -f='${Version}' postgresql-15 2>/dev/null || true)
candidate=$(apt-cache policy postgresql-15 | sed -n 's/^ *Candidate: //p')
if [ -n "$candidate" ] && [ "$candidate" != "$installed" ]; then
  echo "pg-extensions: upgrading postgresql-15 $installed -> $candidate (the extensions' build)"
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/schemac.conf
  apt-get install -y --no-install-recommends --only-upgrade postgresql-15 postgresql-client-15 \
      libpq5 libpq-dev >/dev/null
fi
sh "$dir/install.sh"
