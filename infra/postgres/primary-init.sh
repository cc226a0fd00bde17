#!/bin/sh
# The primary's first start (the official postgres image runs /docker-entrypoint-initdb.d/*.sh once, on an empty
# data folder, as the postgres user): a role for streaming replication, a physical replication slot for the replica
# (so the primary keeps the WAL the replica has not received yet), and the pg_hba.conf line that lets the role
# connect for replication (the image's default lines cover databases, not replication).
set -eu
: "${GONGZHI_REPLICATION_PASSWORD:?set GONGZHI_REPLICATION_PASSWORD}"
psql -v ON_ERROR_STOP=1 -v password="$GONGZHI_REPLICATION_PASSWORD" \
     --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot('replica1');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
