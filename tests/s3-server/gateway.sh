#!/usr/bin/env bash
# Controls one radosgw gateway of the cluster started by start.sh (for fault tests).
#   gateway.sh start a|b|c|d   start it if not running, wait (bounded) until it answers a signed S3 request
#   gateway.sh stop  a|b|c|d   SIGTERM, wait until gone (SIGKILL after 10 s)
#   gateway.sh kill  a|b|c|d   SIGKILL, wait until gone
#   gateway.sh status a|b|c|d  exit 0 when running and answering
# a (:7480) and b (:7481) are started by start.sh and shared by every test: fault tests must not stop them.
# c (:7482, HDS_S3_PORT_C) and d (:7483, HDS_S3_PORT_D) are extra gateways of the same cluster, only for fault tests.
#
# gateway.sh --multisite start|stop|kill|status z1|z2|z3   the same for a zone's gateway of start.sh --multisite, and
# gateway.sh --multisite pause-sync|resume-sync z1|z2|z3   replication INTO that zone paused / resumed: the gateway is restarted
#   without (with) its sync thread. Replication is pull-based, so a paused zone keeps serving S3 and the other zones keep pulling
#   its writes, but it lags behind every write made elsewhere until resumed (lag tests). status says "sync paused".
set -euo pipefail
MULTISITE=0
if [[ "${1:-}" == --multisite ]]; then MULTISITE=1; shift; fi
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
take_lock

if [[ "$MULTISITE" == 1 ]]; then
  usage() { echo "usage: $0 --multisite start|stop|kill|status|pause-sync|resume-sync z1|z2|z3" >&2; exit 2; }
  [[ $# -eq 2 ]] || usage
  [[ "$2" == z1 || "$2" == z2 || "$2" == z3 ]] || usage
else
  usage() { echo "usage: $0 start|stop|kill|status a|b|c|d" >&2; exit 2; }
  [[ $# -eq 2 ]] || usage
  [[ "$2" == a || "$2" == b || "$2" == c || "$2" == d ]] || usage
  [[ "$1" == pause-sync || "$1" == resume-sync ]] && usage
fi
action="$1"; g="$2"
if [[ ! -f "$CONF" ]]; then
  if [[ "$MULTISITE" == 1 ]]; then die "no cluster at $DATA (run start.sh --multisite first)"; else die "no cluster at $DATA (run start.sh first)"; fi
fi
# the ports come from the running cluster's conf, not from the environment: the frontends line of the gateway's own section
conf_port() { awk -v s="[client.rgw.$1]" '$0==s{f=1;next} /^\[/{f=0} f && /^rgw frontends/{sub(/.*:/,"");print;exit}' "$CONF"; }
case "$g" in
  a) PORT_A="$(conf_port a)" ;; b) PORT_B="$(conf_port b)" ;;
  z1) ZONE_PORT_1="$(conf_port z1)" ;; z2) ZONE_PORT_2="$(conf_port z2)" ;; z3) ZONE_PORT_3="$(conf_port z3)" ;;
esac
name="client.rgw.$g"
port="$(port_of_gw "$g")"
t0="$(now)"

gw_pids() { { daemon_pid "$name"; echo; pids_using_conf radosgw | while read -r p; do
  tr '\0' ' ' < "/proc/$p/cmdline" | grep -qE -- "-n $name( |$)" && echo "$p"; done; } | sort -u | grep -v '^$' || true; }
sync_paused() { local p; for p in $(gw_pids); do tr '\0' ' ' < "/proc/$p/cmdline" | grep -qF -- '--rgw_run_sync_thread=false' && return 0; done; return 1; }

start_gw() { # [extra radosgw args]
  # shellcheck disable=SC2046
  terminate KILL 5 $(gw_pids)
  if port_in_use "$port"; then die "port 127.0.0.1:$port is in use by another process: cannot start $name"; fi
  launch_rgw "$g" "$@"
  wait_rgw_signed "$g" 60
}

case "$action" in
  start)
    if [[ -n "$(gw_pids)" ]] && s3_signed_ok "$port"; then log "$name already running on :$port"; exit 0; fi
    start_gw
    log "$name started on :$port, pid $(daemon_pid "$name") ($(elapsed "$t0") s)"
    ;;
  stop|kill)
    gwp="$(gw_pids)"
    if [[ -z "$gwp" ]]; then log "$name not running"; exit 0; fi
    sig=TERM; [[ "$action" == kill ]] && sig=KILL
    # shellcheck disable=SC2086
    terminate "$sig" 10 $gwp
    what=stopped; [[ "$action" == kill ]] && what=killed
    log "$name $what (pid ${gwp//$'\n'/ }) in $(elapsed "$t0") s"
    ;;
  pause-sync|resume-sync)
    if [[ "$action" == pause-sync ]] && sync_paused && s3_signed_ok "$port"; then log "$name: sync already paused"; exit 0; fi
    if [[ "$action" == resume-sync && -n "$(gw_pids)" ]] && ! sync_paused && s3_signed_ok "$port"; then
      log "$name: sync already running"; exit 0
    fi
    gwp="$(gw_pids)"
    # shellcheck disable=SC2086
    [[ -z "$gwp" ]] || terminate TERM 10 $gwp
    if [[ "$action" == pause-sync ]]; then start_gw --rgw_run_sync_thread=false; else start_gw; fi
    log "$name restarted on :$port with replication into $g ${action%-sync}d ($(elapsed "$t0") s)"
    ;;
  status)
    if [[ -n "$(gw_pids)" ]] && s3_signed_ok "$port"; then
      if sync_paused; then echo "$name running on :$port, sync paused"; else echo "$name running on :$port"; fi
      exit 0
    fi
    echo "$name not answering on :$port"; exit 1
    ;;
  *) usage ;;
esac
