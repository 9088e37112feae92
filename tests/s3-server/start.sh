#!/usr/bin/env bash
# Starts a fresh single-node Ceph cluster (1 mon, 1 bluestore OSD on a sparse file, no cephx) with two
# radosgw S3 gateways on the same cluster, creates a test S3 user and writes tests/s3-server/.env.
#
#   HDS_S3_DATA    data directory (default /tmp/hds-s3-server); everything (conf, pids, logs, sockets) lives in it
#   HDS_S3_PORT_A  gateway client.rgw.a port (default 7480)
#   HDS_S3_PORT_B  gateway client.rgw.b port (default 7481)
#   HDS_S3_MON_PORT mon port (default 6789)
#
# Idempotent: when the cluster of the same data directory already answers, only .env is rewritten.
#
# start.sh --multisite starts instead, beside it, a three-zone RGW multisite cluster with real asynchronous replication
# (one realm, one zonegroup, zones z1 = metadata master, z2, z3, one gateway each; _multisite.sh): its own data directory
# (HDS_S3_MULTISITE_DATA, default /tmp/hds-s3-multisite), mon port (HDS_S3_MULTISITE_MON_PORT, 6790) and zone ports
# (HDS_S3_ZONE_PORT_1..3, 7490-7492); it adds HDS_S3_ZONE_1..3 (endpoints) to .env and keeps the other variables.
# Installs the Debian Ceph packages when missing. Every wait is bounded; on failure the daemon's log tail is printed.
set -euo pipefail
MULTISITE=0
if [[ "${1:-}" == --multisite ]]; then MULTISITE=1; shift; fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--multisite]" >&2; exit 2; }
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
take_lock
T0="$(now)"
if [[ "$MULTISITE" == 1 ]]; then
  # shellcheck source=_multisite.sh
  source "$S3_SERVER_DIR/_multisite.sh"
  multisite_start
  exit 0
fi


write_env() {
  merge_env "AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY" "AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY" \
    "HDS_S3_ENDPOINT_A=http://127.0.0.1:$PORT_A" "HDS_S3_ENDPOINT_B=http://127.0.0.1:$PORT_B" "HDS_S3_REGION=$S3_REGION" \
    "HDS_S3_USER=$S3_USER" "HDS_S3_DATA=$DATA" "HDS_S3_CONF=$CONF" \
    "HDS_S3_PID_A=$(pidfile_of client.rgw.a)" "HDS_S3_PID_B=$(pidfile_of client.rgw.b)"
}

# ---------------------------------------------------------------- already running?
cluster_answers() {
  [[ -f "$CONF" && -f "$MARKER" ]] || return 1
  grep -qF "endpoint=127.0.0.1:$PORT_A" "$CONF" || return 1
  grep -qF "endpoint=127.0.0.1:$PORT_B" "$CONF" || return 1
  grep -qF "mon host = v1:127.0.0.1:$MON_PORT" "$CONF" || return 1
  local d
  for d in mon.a osd.0 client.rgw.a client.rgw.b; do [[ -n "$(daemon_pid "$d")" ]] || return 1; done
  s3_signed_ok "$PORT_A" && s3_signed_ok "$PORT_B"
}

write_conf() {
  { conf_base; cat <<CONF
[client]
rgw gc obj min wait = 30
rgw gc processor period = 30
rgw crypt require ssl = false

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT_A
rgw data = $DATA/rgw/\$cluster-\$id
pid file = $RUN/\$name.pid
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok

[client.rgw.b]
rgw frontends = beast endpoint=127.0.0.1:$PORT_B
rgw data = $DATA/rgw/\$cluster-\$id
pid file = $RUN/\$name.pid
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok
CONF
  } > "$CONF"
}

# ================================================================ main
ensure_packages
ensure_browser

if cluster_answers; then
  # Every test makes its own bucket and locked objects cannot be removed: lift RGW's default cap of 1000 buckets per user
  # (clusters started before this setting existed get it here).
  timeout 30 radosgw-admin -c "$CONF" user modify --uid="$S3_USER" --max-buckets=1000000 >/dev/null 2>&1 || true
  write_env
  log "already running from $DATA (A :$PORT_A, B :$PORT_B); .env rewritten in $(elapsed "$T0") s"
  exit 0
fi

if [[ -e "$DATA" ]]; then
  log "stale or partial cluster in $DATA: killing and wiping"
fi
stop_cluster kill
wipe_data
merge_env --remove HDS_S3_ENDPOINT_A HDS_S3_ENDPOINT_B HDS_S3_DATA HDS_S3_CONF HDS_S3_PID_A HDS_S3_PID_B

for p in "$MON_PORT" "$PORT_A" "$PORT_B"; do
  if port_in_use "$p"; then die "port 127.0.0.1:$p is already in use by another process (another cluster? try HDS_S3_DATA=<its dir> $S3_SERVER_DIR/stop.sh)"; fi
done

# on any failure from here on: kill what was started (ports freed), keep the data directory for its logs
on_exit() {
  local rc=$?
  if (( rc != 0 )); then
    log "start failed (exit $rc): killing the daemons; logs kept in $LOG"
    stop_cluster kill >/dev/null 2>&1 || true
  fi
}
trap on_exit EXIT
mkdir -p "$DATA" "$RUN" "$LOG" "$DATA/crash" "$DATA/mon/ceph-a" "$DATA/osd/ceph-0" "$DATA/rgw/ceph-rgw.a" "$DATA/rgw/ceph-rgw.b"
: > "$MARKER"
FSID="$(cat /proc/sys/kernel/random/uuid)"
write_conf

bootstrap_mon_osd

# ---- gateways: A first (it creates the pools), then B and the user
t="$(now)"
launch_rgw a
wait_for client.rgw.a 45 "radosgw client.rgw.a answering HTTP on :$PORT_A" \
  bash -c "[[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:$PORT_A/)\" != 000 ]]"
launch_rgw b
# Every test makes its own bucket and locked objects cannot be removed: lift RGW's default cap of 1000 buckets per user.
timeout 60 radosgw-admin -c "$CONF" user create --uid="$S3_USER" --display-name="HDS test user" \
  --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" --max-buckets=1000000 >"$LOG/user-create.out" 2>&1 \
  || { tail -n 40 "$LOG/user-create.out" >&2; die "radosgw-admin user create failed"; }
wait_rgw_signed a 30
wait_rgw_signed b 45
log "gateways up ($(elapsed "$t") s)"

write_env
log "Ceph RGW ready: A http://127.0.0.1:$PORT_A  B http://127.0.0.1:$PORT_B  data $DATA  (.env: $ENV_FILE)"
log "started in $(elapsed "$T0") s"
