# shellcheck shell=bash
# Shared helpers for start.sh / stop.sh / gateway.sh (sourced, not executed).
# Single-node Ceph (mon + bluestore OSD on a sparse file + two radosgw) for S3 integration tests.

S3_SERVER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_FILE="$S3_SERVER_DIR/.env"

# Two independent clusters can run side by side, each with its own data directory, mon and ports:
#   the two-gateway cluster (default), and with --multisite (MULTISITE=1, set by the calling script) a three-zone RGW multisite
#   cluster with real asynchronous replication (_multisite.sh). Their variables share one .env, each cluster writing its own keys.
MULTISITE="${MULTISITE:-0}"
if [[ "$MULTISITE" == 1 ]]; then DATA_VAR=HDS_S3_MULTISITE_DATA DATA_DEFAULT=/tmp/hds-s3-multisite
else DATA_VAR=HDS_S3_DATA DATA_DEFAULT=/tmp/hds-s3-server; fi
# Data directory: explicit env wins, then the one recorded in .env by the last start, then the default.
DATA="${!DATA_VAR:-}"
if [[ -z "$DATA" && -f "$ENV_FILE" ]]; then
  DATA="$(sed -n "s/^$DATA_VAR=//p" "$ENV_FILE" | tail -n1)"
fi
DATA="${DATA:-$DATA_DEFAULT}"
DATA="${DATA%/}"
CONF="$DATA/ceph.conf"
MARKER="$DATA/.hds-s3-server"
RUN="$DATA/run"
LOG="$DATA/log"

# shellcheck disable=SC2034 # used by start.sh
if [[ "$MULTISITE" == 1 ]]; then MON_PORT="${HDS_S3_MULTISITE_MON_PORT:-6790}"; else MON_PORT="${HDS_S3_MON_PORT:-6789}"; fi
# The multisite cluster's zone gateways client.rgw.z1 (master) .. z3.
ZONE_PORT_1="${HDS_S3_ZONE_PORT_1:-7490}"
ZONE_PORT_2="${HDS_S3_ZONE_PORT_2:-7491}"
ZONE_PORT_3="${HDS_S3_ZONE_PORT_3:-7492}"
PORT_A="${HDS_S3_PORT_A:-7480}"
PORT_B="${HDS_S3_PORT_B:-7481}"
# Extra gateways for fault tests (gateway.sh start c|d): same cluster, configured on the command line (not in ceph.conf),
# so tests can kill and restart them without touching a and b, which the other tests share.
PORT_C="${HDS_S3_PORT_C:-7482}"
PORT_D="${HDS_S3_PORT_D:-7483}"

# Fixed test-only credentials (never used outside this throw-away local cluster).
# shellcheck disable=SC2034 # used by start.sh
S3_USER="hds-test"
S3_ACCESS_KEY="HDSTESTACCESSKEY0001"
S3_SECRET_KEY="hdsTestSecretKey/DoNotUseOutsideTests0001"
S3_REGION="us-east-1"

log()  { printf '[s3-server %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die()  { printf '[s3-server] ERROR: %s\n' "$*" >&2; exit 1; }
now()  { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

pidfile_of() { # daemon name (mon.a, osd.0, client.rgw.a)
  printf '%s/%s.pid' "$RUN" "$1"
}
logfile_of() {
  printf '%s/%s.log' "$LOG" "$1"
}

# True if pid is a live (non-zombie) process started with our ceph.conf.
pid_is_ours() {
  local pid="$1" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/status" ]] || return 1
  state="$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != "Z" && "$state" != "X" ]] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF"
}

# Pid of a daemon from its pid file, if alive and ours; empty otherwise.
daemon_pid() {
  local f pid
  f="$(pidfile_of "$1")"
  [[ -f "$f" ]] || return 0
  pid="$(tr -dc '0-9' < "$f" 2>/dev/null || true)"
  if pid_is_ours "$pid"; then printf '%s' "$pid"; fi
}

# Live processes started with our ceph.conf whose executable is one of the given names
# (fallback when pid files are gone). Usage: pids_using_conf radosgw ceph-osd
pids_using_conf() {
  local f pid exe want
  # one grep over all command lines (NUL-separated args; our conf path is one whole argument)
  for f in $(grep -lsF -- "$CONF" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    pid="${f#/proc/}"; pid="${pid%/cmdline}"
    pid_is_ours "$pid" || continue
    exe="$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null | head -n1 || true)"
    for want in "$@"; do
      if [[ "${exe##*/}" == "$want" ]]; then printf '%s\n' "$pid"; break; fi
    done
  done
}

# Wait until none of the pids is alive; returns 1 on timeout.
wait_dead() { # timeout_seconds pid...
  local timeout="$1"; shift
  local deadline pid alive
  deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
  while :; do
    alive=0
    for pid in "$@"; do pid_is_ours "$pid" && alive=1; done
    (( alive == 0 )) && return 0
    (( $(date +%s%N) > deadline )) && return 1
    sleep 0.1
  done
}

# SIGTERM (or given signal), wait, then SIGKILL.
terminate() { # signal timeout pid...
  local sig="$1" timeout="$2"; shift 2
  local pid live=()
  for pid in "$@"; do pid_is_ours "$pid" && live+=("$pid"); done
  (( ${#live[@]} )) || return 0
  kill "-$sig" "${live[@]}" 2>/dev/null || true
  if ! wait_dead "$timeout" "${live[@]}"; then
    log "still alive after ${timeout}s, SIGKILL: ${live[*]}"
    for pid in "${live[@]}"; do
      if pid_is_ours "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
    wait_dead 5 "${live[@]}" || log "WARNING: could not kill ${live[*]}"
  fi
}

show_log_tail() { # daemon name
  local f out
  f="$(logfile_of "$1")"; out="$LOG/$1.out"
  if [[ -s "$out" ]]; then
    printf '\n----- %s (stdout/stderr, last 40 lines) -----\n' "$out" >&2
    tail -n 40 "$out" >&2 || true
  fi
  printf '\n----- %s (last 40 lines) -----\n' "$f" >&2
  if [[ -f "$f" ]]; then tail -n 40 "$f" >&2 || true; else echo "(no log file)" >&2; fi
  printf -- '-----\n' >&2
}

# True when the daemon's log shows it cannot come up (it may stay alive without serving).
daemon_log_fatal() { # daemon name
  local f; f="$(logfile_of "$1")"
  [[ -f "$f" ]] && grep -qE 'failed initializing frontend|failed to bind address|\*\*\* Caught signal|ERROR: failed to initialize|unable to obtain rotating service keys' "$f"
}

fail_daemon() { # daemon name, message
  show_log_tail "$1"
  die "$2"
}

ceph_cli() { timeout 20 ceph -c "$CONF" --connect-timeout 10 "$@"; }

# HTTP status of an unsigned GET / (000 when nothing answers).
http_status() { # port
  curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$1/" 2>/dev/null || true
}

# Signed (SigV4) ListBuckets; returns 0 on HTTP 200.
s3_signed_ok() { # port
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    --aws-sigv4 "aws:amz:$S3_REGION:s3" -u "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "http://127.0.0.1:$1/" 2>/dev/null || true)"
  [[ "$code" == "200" ]]
}

port_of_gw() {
  case "$1" in a) echo "$PORT_A" ;; b) echo "$PORT_B" ;; c) echo "$PORT_C" ;; d) echo "$PORT_D" ;;
    z1) echo "$ZONE_PORT_1" ;; z2) echo "$ZONE_PORT_2" ;; z3) echo "$ZONE_PORT_3" ;;
    *) die "gateway must be a, b, c, d (or z1, z2, z3 with --multisite), got '$1'" ;; esac
}

# Start radosgw client.rgw.<g> (daemonizes; writes its pid file). a and b have sections in ceph.conf; the extra gateways c and d
# get theirs on the command line (the [client] section still applies).
launch_rgw() { # a|b|c|d|z1|z2|z3 [extra radosgw args]
  local name="client.rgw.$1" extra=()
  if [[ "$1" == c || "$1" == d ]]; then
    mkdir -p "$DATA/rgw/ceph-rgw.$1"
    extra=(--rgw_frontends "beast endpoint=127.0.0.1:$(port_of_gw "$1")" --pid_file "$(pidfile_of "$name")"
      --log_file "$(logfile_of "$name")" --admin_socket "$RUN/$name.asok" --rgw_data "$DATA/rgw/ceph-rgw.$1")
  fi
  rm -f "$(pidfile_of "$name")"
  extra+=("${@:2}")
  radosgw -c "$CONF" -n "$name" "${extra[@]}" >>"$LOG/$name.out" 2>&1 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- || fail_daemon "$name" "radosgw $name failed to launch"
}

# Wait until gateway answers a signed request; fail loudly with its log after timeout.
wait_rgw_signed() { # a|b timeout
  local g="$1" timeout="$2" port name deadline pid
  port="$(port_of_gw "$g")"; name="client.rgw.$g"
  deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
  while ! s3_signed_ok "$port"; do
    if (( $(date +%s%N) > deadline )); then
      fail_daemon "$name" "radosgw $name on 127.0.0.1:$port did not answer a signed S3 request within ${timeout}s (last HTTP status $(http_status "$port"))"
    fi
    pid="$(daemon_pid "$name")"
    if [[ -z "$pid" && -f "$(pidfile_of "$name")" ]]; then
      # pid file written but process gone: it died
      fail_daemon "$name" "radosgw $name died during start-up"
    fi
    if daemon_log_fatal "$name"; then fail_daemon "$name" "radosgw $name failed during start-up (see log)"; fi
    sleep 0.1
  done
}

# Serialise start/stop/gateway operations on one data directory, also across work trees and test
# projects starting the server in parallel: an flock on "$DATA.lock" beside (not inside: it is wiped) the data dir.
# Daemons are launched with 3<&- to 9<&- so that they do not inherit, and keep holding, this lock or one a caller took
# (`flock LOCKFILE start.sh` holds it on fd 3: a mon or osd that inherited it kept it for as long as it ran).
take_lock() {
  [[ "$DATA" == /* && "$DATA" != "/" ]] || die "HDS_S3_DATA='$DATA' must be an absolute path, not /"
  mkdir -p "$(dirname "$DATA")"
  exec 9>>"$DATA.lock"
  flock -w 180 9 || die "timed out waiting 180 s for another start/stop/gateway operation on $DATA to finish"
}

# True if something accepts TCP connections on 127.0.0.1:port.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Stop every daemon of the cluster in DATA: rgw(s), then osd, then mon.
#   stop_cluster        SIGTERM, SIGKILL after a short timeout (rgw 5 s, osd 10 s, mon 5 s)
#   stop_cluster kill   SIGKILL at once (stale cluster whose data is wiped anyway)
stop_cluster() {
  local sig=TERM t_rgw=5 t_osd=10 t_mon=5 pids
  if [[ "${1:-}" == kill ]]; then sig=KILL t_rgw=5 t_osd=5 t_mon=5; fi
  # an rgw whose osd is gone blocks in shutdown: do not wait for it
  [[ -z "$(daemon_pid osd.0)" ]] && t_rgw=1
  # shellcheck disable=SC2207
  pids=($( { for g in a b c d z1 z2 z3; do daemon_pid "client.rgw.$g"; echo; done; pids_using_conf radosgw; } | sort -u))
  if (( ${#pids[@]} )); then log "stopping radosgw (${pids[*]})"; terminate "$sig" "$t_rgw" "${pids[@]}"; fi
  # shellcheck disable=SC2207
  pids=($( { daemon_pid osd.0; echo; pids_using_conf ceph-osd; } | sort -u))
  if (( ${#pids[@]} )); then log "stopping ceph-osd (${pids[*]})"; terminate "$sig" "$t_osd" "${pids[@]}"; fi
  # shellcheck disable=SC2207
  pids=($( { daemon_pid mon.a; echo; pids_using_conf ceph-mon; } | sort -u))
  if (( ${#pids[@]} )); then log "stopping ceph-mon (${pids[*]})"; terminate "$sig" "$t_mon" "${pids[@]}"; fi
  # stragglers (e.g. hung CLI tools pointed at our conf)
  # shellcheck disable=SC2207
  pids=($(pids_using_conf radosgw ceph-osd ceph-mon radosgw-admin ceph rados))
  if (( ${#pids[@]} )); then terminate KILL 5 "${pids[@]}"; fi
}

# Remove the data directory, refusing anything that does not look like ours.
wipe_data() {
  [[ "$DATA" == /* && "$DATA" != "/" ]] || die "refusing to wipe HDS_S3_DATA='$DATA' (must be an absolute path, not /)"
  [[ -e "$DATA" ]] || return 0
  if [[ ! -f "$MARKER" ]] && [[ -n "$(ls -A "$DATA" 2>/dev/null)" ]]; then
    die "refusing to wipe '$DATA': not empty and has no $MARKER (not created by start.sh)"
  fi
  rm -rf -- "$DATA"
}

# .env holds the variables of both clusters: each writer replaces only its own keys (KEY=VALUE arguments), under a lock of its own
# so that the two clusters starting in parallel do not lose each other's lines.
#   merge_env KEY=VALUE...      set these keys
#   merge_env --remove KEY...   remove these keys (the file goes when no cluster is left in it)
merge_env() {
  local remove=0 tmp="$ENV_FILE.tmp.$$" kv keys=()
  if [[ "${1:-}" == --remove ]]; then remove=1; shift; fi
  for kv in "$@"; do keys+=("${kv%%=*}"); done
  (
    exec 8>>"$S3_SERVER_DIR/.env.lock"
    flock -w 30 8 || die "timed out waiting for the .env lock"
    { [[ -f "$ENV_FILE" ]] && grep -vE "^($(IFS='|'; echo "${keys[*]}"))=" "$ENV_FILE" || true; } > "$tmp"
    if (( remove == 0 )); then printf '%s\n' "$@" >> "$tmp"; fi
    if grep -qE '^(HDS_S3_ENDPOINT_A|HDS_S3_ZONE_1)=' "$tmp"; then mv -f "$tmp" "$ENV_FILE"; else rm -f "$tmp" "$ENV_FILE"; fi
  )
  grep -qxF '.env' "$S3_SERVER_DIR/.gitignore" 2>/dev/null || printf '.env\n' >> "$S3_SERVER_DIR/.gitignore"
  grep -qxF '.env.lock' "$S3_SERVER_DIR/.gitignore" 2>/dev/null || printf '.env.lock\n' >> "$S3_SERVER_DIR/.gitignore"
}

# ---------------------------------------------------------------- packages
ensure_packages() {
  local missing=() c
  for c in ceph ceph-mon ceph-osd ceph-authtool monmaptool radosgw radosgw-admin rados curl; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  (( ${#missing[@]} )) || return 0
  [[ "$(id -u)" == 0 ]] || die "missing ${missing[*]} and not root: install ceph-mon ceph-osd radosgw ceph-common curl"
  log "installing Debian Ceph packages (missing: ${missing[*]})"
  local t; t="$(now)"
  timeout 300 apt-get update -q >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends \
    ceph-mon ceph-osd radosgw ceph-common curl >/dev/null || die "apt-get install of ceph packages failed"
  for c in "${missing[@]}"; do command -v "$c" >/dev/null 2>&1 || die "$c still missing after install"; done
  log "packages installed in $(elapsed "$t") s"
}

# The headless browser the audit report test opens the HTML report in (Debian chromium). Best effort: the S3 server does not need
# it, so a failed install is logged, not fatal (the report test then fails with its own message).
ensure_browser() {
  command -v chromium >/dev/null 2>&1 && return 0
  [[ "$(id -u)" == 0 ]] || { log "chromium missing and not root: apt-get install chromium for the audit report test"; return 0; }
  log "installing Debian chromium (headless browser of the audit report test)"
  local t; t="$(now)"
  { timeout 300 apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -q --no-install-recommends chromium >/dev/null; } \
    || log "apt-get install chromium failed"
  log "chromium install step done in $(elapsed "$t") s"
}

# ---------------------------------------------------------------- bounded waits
wait_for() { # daemon timeout description cmd...
  local daemon="$1" timeout="$2" what="$3"; shift 3
  local deadline; deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s%N) > deadline )); then fail_daemon "$daemon" "$what: not reached within ${timeout}s"; fi
    if [[ -f "$(pidfile_of "$daemon")" && -z "$(daemon_pid "$daemon")" ]]; then fail_daemon "$daemon" "$daemon died ($what)"; fi
    if daemon_log_fatal "$daemon"; then fail_daemon "$daemon" "$daemon failed ($what)"; fi
    sleep 0.1
  done
}

retry() { # attempts cmd... (prints the command's stdout on success)
  local n="$1" i out; shift
  for (( i = 1; i <= n; i++ )); do
    if out="$("$@" 2>>"$LOG/cli.err")"; then printf '%s' "$out"; return 0; fi
    sleep 0.5
  done
  return 1
}

osd_is_up() { ceph_cli osd dump 2>/dev/null | grep -qE '^osd\.0 up'; }

# The [global], [mon] and [osd] sections both clusters share (FSID, MON_PORT, DATA set by the caller).
conf_base() {
  cat <<CONF
# Generated by tests/s3-server/start.sh: throw-away single-node cluster for tests. No cephx.
[global]
fsid = $FSID
mon initial members = a
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
keyring = $DATA/keyring
run dir = $RUN
crash dir = $DATA/crash
mon cluster log file = $LOG/cluster.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
osd crush chooseleaf type = 0
paxos propose interval = 0.05

[mon]
mon data = $DATA/mon/\$cluster-\$id
pid file = $RUN/\$name.pid
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok

[osd]
osd data = $DATA/osd/\$cluster-\$id
pid file = $RUN/\$name.pid
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok
osd objectstore = bluestore
bluestore block path = $DATA/osd/\$cluster-\$id/block.file
bluestore block size = 10737418240
bluestore block create = true
bluestore fsck on mkfs = false
bluestore fsck on mount = false
osd memory target = 1073741824
osd fast shutdown = false
# the aio thread polls at this interval; every block-device close waits for it (default 250 ms, ~10 closes per start)
bdev aio poll ms = 20

CONF
}

# Creates and starts mon.a and the bluestore osd.0 of the cluster in DATA (CONF written, FSID set).
bootstrap_mon_osd() {
  local t OSD_ID OSD_UUID
  OSD_UUID="$(cat /proc/sys/kernel/random/uuid)"
  # ---- mon
  t="$(now)"
  ceph-authtool --create-keyring "$DATA/keyring" --gen-key -n mon. --cap mon 'allow *' >"$LOG/mkfs.out" 2>&1 \
    || { cat "$LOG/mkfs.out" >&2; die "ceph-authtool failed"; }
  monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$DATA/monmap" >>"$LOG/mkfs.out" 2>&1 \
    || { cat "$LOG/mkfs.out" >&2; die "monmaptool failed"; }
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DATA/monmap" --keyring "$DATA/keyring" >>"$LOG/mon.a.out" 2>&1 \
    || fail_daemon mon.a "ceph-mon --mkfs failed"
  ceph-mon -c "$CONF" -i a >>"$LOG/mon.a.out" 2>&1 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- || fail_daemon mon.a "ceph-mon failed to launch"
  wait_for mon.a 30 "ceph mon stat answering" ceph_cli mon stat
  log "mon up ($(elapsed "$t") s)"

  # ---- osd
  t="$(now)"
  OSD_ID="$(retry 20 ceph_cli osd new "$OSD_UUID")" || fail_daemon mon.a "'ceph osd new' kept failing (see also $LOG/cli.err)"
  OSD_ID="$(printf '%s' "$OSD_ID" | tr -dc '0-9')"
  [[ "$OSD_ID" == "0" ]] || die "expected osd id 0, got '$OSD_ID'"
  retry 20 ceph_cli osd crush add osd.0 1.0 root=default >/dev/null \
    || fail_daemon mon.a "'ceph osd crush add' kept failing (see also $LOG/cli.err)"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$LOG/osd.0.out" 2>&1 || fail_daemon osd.0 "ceph-osd --mkfs failed"
  ceph-osd -c "$CONF" -i 0 --osd-crush-update-on-start=false --osd-class-update-on-start=false >>"$LOG/osd.0.out" 2>&1 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- \
    || fail_daemon osd.0 "ceph-osd failed to launch"
  wait_for osd.0 60 "osd.0 up in the osdmap" osd_is_up
  log "osd up ($(elapsed "$t") s)"
}
