# shellcheck shell=bash
# Shared helpers for start.sh / stop.sh / gateway.sh (sourced, not executed).
# Single-node Ceph (mon + bluestore OSD on a sparse file + two radosgw) for S3 integration tests.

S3_SERVER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENV_FILE="$S3_SERVER_DIR/.env"

# Data directory: explicit env wins, then the one recorded in .env by the last start, then the default.
if [[ -z "${HDS_S3_DATA:-}" && -f "$ENV_FILE" ]]; then
  HDS_S3_DATA="$(sed -n 's/^HDS_S3_DATA=//p' "$ENV_FILE" | tail -n1)"
fi
DATA="${HDS_S3_DATA:-/tmp/hds-s3-server}"
DATA="${DATA%/}"
CONF="$DATA/ceph.conf"
MARKER="$DATA/.hds-s3-server"
RUN="$DATA/run"
LOG="$DATA/log"

# shellcheck disable=SC2034 # used by start.sh
MON_PORT="${HDS_S3_MON_PORT:-6789}"
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
  case "$1" in a) echo "$PORT_A" ;; b) echo "$PORT_B" ;; c) echo "$PORT_C" ;; d) echo "$PORT_D" ;; *) die "gateway must be a, b, c or d, got '$1'" ;; esac
}

# Start radosgw client.rgw.<g> (daemonizes; writes its pid file). a and b have sections in ceph.conf; the extra gateways c and d
# get theirs on the command line (the [client] section still applies).
launch_rgw() { # a|b|c|d
  local name="client.rgw.$1" extra=()
  if [[ "$1" == c || "$1" == d ]]; then
    mkdir -p "$DATA/rgw/ceph-rgw.$1"
    extra=(--rgw_frontends "beast endpoint=127.0.0.1:$(port_of_gw "$1")" --pid_file "$(pidfile_of "$name")"
      --log_file "$(logfile_of "$name")" --admin_socket "$RUN/$name.asok" --rgw_data "$DATA/rgw/ceph-rgw.$1")
  fi
  rm -f "$(pidfile_of "$name")"
  radosgw -c "$CONF" -n "$name" "${extra[@]}" >>"$LOG/$name.out" 2>&1 9<&- || fail_daemon "$name" "radosgw $name failed to launch"
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
# Daemons are launched with 9<&- so that they do not inherit, and keep holding, the lock.
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
  pids=($( { for g in a b c d; do daemon_pid "client.rgw.$g"; echo; done; pids_using_conf radosgw; } | sort -u))
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
