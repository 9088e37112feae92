#!/usr/bin/env bash
# Stops the single-node Ceph S3 test server started by start.sh and removes its data directory and its .env variables.
# Idempotent: fine when nothing runs. Data directory: $HDS_S3_DATA, else the one in .env, else /tmp/hds-s3-server.
# stop.sh --multisite does the same for the three-zone cluster of start.sh --multisite ($HDS_S3_MULTISITE_DATA,
# default /tmp/hds-s3-multisite); each leaves the other cluster and its variables alone.
set -euo pipefail
MULTISITE=0
if [[ "${1:-}" == --multisite ]]; then MULTISITE=1; shift; fi
[[ $# -eq 0 ]] || { echo "usage: $0 [--multisite]" >&2; exit 2; }
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
take_lock

t0="$(now)"
stop_cluster term
wipe_data
# .env describes this data directory's cluster: remove its variables (only then)
if [[ -f "$ENV_FILE" && "$(sed -n "s/^$DATA_VAR=//p" "$ENV_FILE" | tail -n1)" == "$DATA" ]]; then
  if [[ "$MULTISITE" == 1 ]]; then
    merge_env --remove HDS_S3_ZONE_1 HDS_S3_ZONE_2 HDS_S3_ZONE_3 HDS_S3_MULTISITE_DATA HDS_S3_MULTISITE_CONF \
      HDS_S3_ZONE_PID_1 HDS_S3_ZONE_PID_2 HDS_S3_ZONE_PID_3
  else
    merge_env --remove HDS_S3_ENDPOINT_A HDS_S3_ENDPOINT_B HDS_S3_DATA HDS_S3_CONF HDS_S3_PID_A HDS_S3_PID_B
  fi
fi
log "stopped and removed $DATA in $(elapsed "$t0") s"
