# shellcheck shell=bash
# The three-zone Ceph RGW multisite cluster (sourced by start.sh --multisite; MULTISITE=1 and _common.sh already loaded).
#
# One mon and one bluestore OSD (as the two-gateway cluster), one realm "hds", one zonegroup "hds", three zones z1 (metadata
# master), z2, z3, each with its own pools and its own gateway client.rgw.zN on 127.0.0.1:ZONE_PORT_N. Replication between the
# zones is RGW's own, asynchronous and pull-based (each zone's gateway pulls what the others logged): this models the three data
# centres above the storage layer (lag, failover of gateways, writes landing on different sites). All zones share one OSD, so a
# storage-level site loss cannot be simulated. Facts and figures: shared/S3-BACKENDS.md, multisite section.

ZONES=(z1 z2 z3)
REALM=hds
ZONEGROUP=hds
# Fixed test-only system user that the zones' sync agents authenticate with (throw-away local cluster).
SYNC_USER=hds-sync
SYNC_ACCESS_KEY="HDSSYNCACCESSKEY0001"
SYNC_SECRET_KEY="hdsSyncSecretKey/DoNotUseOutsideTests0001"

zone_port() { port_of_gw "$1"; }
zone_endpoint() { printf 'http://127.0.0.1:%s' "$(zone_port "$1")"; }

rgw_admin() { timeout 60 radosgw-admin -c "$CONF" "$@"; }

write_multisite_env() {
  merge_env "AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY" "AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY" "HDS_S3_REGION=$S3_REGION" \
    "HDS_S3_ZONE_1=$(zone_endpoint z1)" "HDS_S3_ZONE_2=$(zone_endpoint z2)" "HDS_S3_ZONE_3=$(zone_endpoint z3)" \
    "HDS_S3_MULTISITE_DATA=$DATA" "HDS_S3_MULTISITE_CONF=$CONF" \
    "HDS_S3_ZONE_PID_1=$(pidfile_of client.rgw.z1)" "HDS_S3_ZONE_PID_2=$(pidfile_of client.rgw.z2)" \
    "HDS_S3_ZONE_PID_3=$(pidfile_of client.rgw.z3)"
}

MULTISITE_ENV_KEYS=(HDS_S3_ZONE_1 HDS_S3_ZONE_2 HDS_S3_ZONE_3 HDS_S3_MULTISITE_DATA HDS_S3_MULTISITE_CONF
  HDS_S3_ZONE_PID_1 HDS_S3_ZONE_PID_2 HDS_S3_ZONE_PID_3)

multisite_answers() {
  [[ -f "$CONF" && -f "$MARKER" ]] || return 1
  grep -qF "mon host = v1:127.0.0.1:$MON_PORT" "$CONF" || return 1
  local z
  for z in "${ZONES[@]}"; do grep -qF "endpoint=127.0.0.1:$(zone_port "$z")" "$CONF" || return 1; done
  for z in mon.a osd.0; do [[ -n "$(daemon_pid "$z")" ]] || return 1; done
  for z in "${ZONES[@]}"; do
    # a zone gateway a test stopped or paused is restarted by gateway.sh, not here: the cluster itself is up
    [[ -n "$(daemon_pid "client.rgw.$z")" ]] || return 1
    s3_signed_ok "$(zone_port "$z")" || return 1
  done
}

write_multisite_conf() {
  {
    conf_base
    cat <<CONF
[client]
rgw gc obj min wait = 30
rgw gc processor period = 30
rgw crypt require ssl = false
# the default 120 s makes replication stall ~93 s after any gateway restart, waiting for the dead gateway's lease
rgw sync lease period = 20
debug rgw = 0
CONF
    local z
    for z in "${ZONES[@]}"; do
      cat <<CONF

[client.rgw.$z]
rgw realm = $REALM
rgw zonegroup = $ZONEGROUP
rgw zone = $z
rgw frontends = beast endpoint=127.0.0.1:$(zone_port "$z")
rgw data = $DATA/rgw/\$cluster-\$id
pid file = $RUN/\$name.pid
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok
CONF
    done
  } > "$CONF"
}

multisite_start() {
  ensure_packages
  if multisite_answers; then
    rgw_admin user modify --rgw-zone=z1 --uid="$S3_USER" --max-buckets=1000000 >/dev/null 2>&1 || true
    write_multisite_env
    log "multisite already running from $DATA (z1 :$ZONE_PORT_1 master, z2 :$ZONE_PORT_2, z3 :$ZONE_PORT_3); .env rewritten in $(elapsed "$T0") s"
    return 0
  fi
  if [[ -e "$DATA" ]]; then log "stale or partial multisite cluster in $DATA: killing and wiping"; fi
  stop_cluster kill
  wipe_data
  merge_env --remove "${MULTISITE_ENV_KEYS[@]}"

  local p z t
  for p in "$MON_PORT" "$ZONE_PORT_1" "$ZONE_PORT_2" "$ZONE_PORT_3"; do
    if port_in_use "$p"; then die "port 127.0.0.1:$p is already in use by another process (try $S3_SERVER_DIR/stop.sh --multisite)"; fi
  done
  on_exit() {
    local rc=$?
    if (( rc != 0 )); then
      log "multisite start failed (exit $rc): killing the daemons; logs kept in $LOG"
      stop_cluster kill >/dev/null 2>&1 || true
    fi
  }
  trap on_exit EXIT
  mkdir -p "$DATA" "$RUN" "$LOG" "$DATA/crash" "$DATA/mon/ceph-a" "$DATA/osd/ceph-0"
  for z in "${ZONES[@]}"; do mkdir -p "$DATA/rgw/ceph-rgw.$z"; done
  : > "$MARKER"
  FSID="$(cat /proc/sys/kernel/random/uuid)"
  write_multisite_conf
  bootstrap_mon_osd

  # ---- realm, zonegroup, zones, system user, period (all before any gateway starts)
  t="$(now)"
  {
    rgw_admin realm create --rgw-realm="$REALM" --default &&
    rgw_admin zonegroup create --rgw-realm="$REALM" --rgw-zonegroup="$ZONEGROUP" --endpoints="$(zone_endpoint z1)" --master --default &&
    rgw_admin zone create --rgw-zonegroup="$ZONEGROUP" --rgw-zone=z1 --endpoints="$(zone_endpoint z1)" --master --default \
      --access-key="$SYNC_ACCESS_KEY" --secret="$SYNC_SECRET_KEY" &&
    rgw_admin zone create --rgw-zonegroup="$ZONEGROUP" --rgw-zone=z2 --endpoints="$(zone_endpoint z2)" \
      --access-key="$SYNC_ACCESS_KEY" --secret="$SYNC_SECRET_KEY" &&
    rgw_admin zone create --rgw-zonegroup="$ZONEGROUP" --rgw-zone=z3 --endpoints="$(zone_endpoint z3)" \
      --access-key="$SYNC_ACCESS_KEY" --secret="$SYNC_SECRET_KEY" &&
    rgw_admin user create --rgw-zone=z1 --uid="$SYNC_USER" --display-name="HDS multisite sync" --system \
      --access-key="$SYNC_ACCESS_KEY" --secret="$SYNC_SECRET_KEY" &&
    rgw_admin period update --commit --rgw-zone=z1
  } >"$LOG/realm.out" 2>&1 || { tail -n 40 "$LOG/realm.out" >&2; die "multisite realm/zonegroup/zone set-up failed"; }
  log "realm, zonegroup and zones z1 (master), z2, z3 committed ($(elapsed "$t") s)"

  # ---- gateways: the master first (it creates its pools), then the others; the S3 user on the master (metadata sync copies it)
  t="$(now)"
  launch_rgw z1
  wait_for client.rgw.z1 45 "radosgw client.rgw.z1 answering HTTP on :$ZONE_PORT_1" \
    bash -c "[[ \"\$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 http://127.0.0.1:$ZONE_PORT_1/)\" != 000 ]]"
  launch_rgw z2
  launch_rgw z3
  rgw_admin user create --rgw-zone=z1 --uid="$S3_USER" --display-name="HDS test user" \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" --max-buckets=1000000 >"$LOG/user-create.out" 2>&1 \
    || { tail -n 40 "$LOG/user-create.out" >&2; die "radosgw-admin user create (zone z1) failed"; }
  wait_rgw_signed z1 30
  wait_rgw_signed z2 60
  wait_rgw_signed z3 60
  log "zone gateways up ($(elapsed "$t") s)"

  write_multisite_env
  log "Ceph RGW multisite ready: z1 $(zone_endpoint z1) (master)  z2 $(zone_endpoint z2)  z3 $(zone_endpoint z3)  data $DATA"
  log "started in $(elapsed "$T0") s"
}
