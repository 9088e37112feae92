#!/usr/bin/env bash
# Controls one radosgw gateway of the cluster started by start.sh (for fault tests).
#   gateway.sh start a|b|c|d   start it if not running, wait (bounded) until it answers a signed S3 request
#   gateway.sh stop  a|b|c|d   SIGTERM, wait until gone (SIGKILL after 10 s)
#   gateway.sh kill  a|b|c|d   SIGKILL, wait until gone
#   gateway.sh status a|b|c|d  exit 0 when running and answering
# a (:7480) and b (:7481) are started by start.sh and shared by every test: fault tests must not stop them.
# c (:7482, HDS_S3_PORT_C) and d (:7483, HDS_S3_PORT_D) are extra gateways of the same cluster, only for fault tests.
set -euo pipefail
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
take_lock

usage() { echo "usage: $0 start|stop|kill|status a|b|c|d" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
action="$1"; g="$2"
[[ "$g" == a || "$g" == b || "$g" == c || "$g" == d ]] || usage
[[ -f "$CONF" ]] || die "no cluster at $DATA (run start.sh first)"
# the ports come from the running cluster's conf, not from the environment
PORT_A="$(sed -n 's/^rgw frontends = beast endpoint=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CONF" | sed -n 1p)"
PORT_B="$(sed -n 's/^rgw frontends = beast endpoint=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$CONF" | sed -n 2p)"
name="client.rgw.$g"
port="$(port_of_gw "$g")"
t0="$(now)"

gw_pids() { { daemon_pid "$name"; echo; pids_using_conf radosgw | while read -r p; do
  tr '\0' ' ' < "/proc/$p/cmdline" | grep -qE -- "-n $name( |$)" && echo "$p"; done; } | sort -u | grep -v '^$' || true; }

case "$action" in
  start)
    if [[ -n "$(gw_pids)" ]] && s3_signed_ok "$port"; then log "$name already running on :$port"; exit 0; fi
    # shellcheck disable=SC2046
    terminate KILL 5 $(gw_pids)
    if port_in_use "$port"; then die "port 127.0.0.1:$port is in use by another process: cannot start $name"; fi
    launch_rgw "$g"
    wait_rgw_signed "$g" 60
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
  status)
    if [[ -n "$(gw_pids)" ]] && s3_signed_ok "$port"; then echo "$name running on :$port"; exit 0; fi
    echo "$name not answering on :$port"; exit 1
    ;;
  *) usage ;;
esac
