#!/usr/bin/env bash
# Stops the single-node Ceph S3 test server started by start.sh and removes its data directory and .env.
# Idempotent: fine when nothing runs. Data directory: $HDS_S3_DATA, else the one in .env, else /tmp/hds-s3-server.
set -euo pipefail
# shellcheck source=_common.sh
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

t0="$(now)"
stop_cluster
wipe_data
rm -f -- "$ENV_FILE"
log "stopped and removed $DATA in $(elapsed "$t0") s"
