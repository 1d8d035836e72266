#!/usr/bin/env bash
# Makes sure the servers the test suite uses but does not start itself are up.
# Mosquitto, InfluxDB and VictoriaMetrics are started by the tests on free ports; PostgreSQL is
# the machine's own server on 127.0.0.1:5432 with a `test` database the postgres user may use
# without a password (the registry tests make and drop their own databases inside it).
set -euo pipefail

pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q && apt-get install -y -q --no-install-recommends postgresql
fi

if ! pg_ready; then
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -n 1)
  echo "starting PostgreSQL $version"
  hba="/etc/postgresql/$version/main/pg_hba.conf"
  # Trust local TCP connections, as the suite expects; only loopback is ever trusted.
  grep -q "^host all all 127.0.0.1/32 trust" "$hba" ||
    sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }

if ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
  su postgres -c "psql -c 'CREATE DATABASE test'" >/dev/null
fi
