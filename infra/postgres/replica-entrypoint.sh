#!/bin/sh
# A streaming replica of the primary (infra/compose.yaml's postgres-replica). On its first start, with an empty data
# folder, `pg_basebackup -R` copies the primary through the slot replica1 and writes standby.signal and
# primary_conninfo; on every start the official entrypoint then runs PostgreSQL, which sees standby.signal and
# replays the primary's WAL as a hot standby (read-only queries: GONGZHI_READ_DATABASE_URL).
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${PRIMARY_HOST:=postgres}"
: "${GONGZHI_REPLICATION_PASSWORD:?set GONGZHI_REPLICATION_PASSWORD}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  until pg_isready --host "$PRIMARY_HOST" --port 5432 --username replicator --quiet; do
    echo "waiting for the primary at $PRIMARY_HOST:5432"
    sleep 1
  done
  PGPASSWORD="$GONGZHI_REPLICATION_PASSWORD" gosu postgres pg_basebackup --host "$PRIMARY_HOST" \
    --username replicator --pgdata "$PGDATA" --write-recovery-conf --wal-method stream --slot replica1 \
    --checkpoint fast --no-password
fi
exec docker-entrypoint.sh "$@"
