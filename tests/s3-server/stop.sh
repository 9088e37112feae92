#!/usr/bin/env bash
# Stops the single-node Ceph S3 test server started by start.sh and removes its data directory and .env.
# Idempotent: fine when nothing runs. Data directory: $HDS_S3_DATA, else the one in .env, else /tmp/hds-s3-server.
set -euo pipefail
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
take_lock

t0="$(now)"
stop_cluster term
wipe_data
# .env describes this data directory's cluster: remove it (only then)
if [[ -f "$ENV_FILE" && "$(sed -n 's/^HDS_S3_DATA=//p' "$ENV_FILE" | tail -n1)" == "$DATA" ]]; then rm -f -- "$ENV_FILE"; fi
log "stopped and removed $DATA in $(elapsed "$t0") s"
