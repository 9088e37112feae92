#!/usr/bin/env bash
# Where the CPU goes during the e2e benchmark's large transfers, raw AWSSDK.S3 vs Hds.Storage, on the whole machine (client, the
# S3 server's processes, everything else): a system-wide `perf record` of an e2e run, sliced by the phases the benchmark prints
# (HDS_BENCH_PHASES=1) and summed per process group and per library of the benchmark process (libcrypto = AES-GCM, SHA-256, MD5).
#   eng/perf-e2e.sh [e2e options]      default: --only large --sizes 256 --reps 2
#   eng/perf-e2e.sh --only small --reps 2    the small-object passes
# Needs `perf` (Debian: linux-perf) and root; the test S3 server running (tests/s3-server/start.sh). Not part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--only large --sizes 256 --reps 2)
out=$(mktemp -d /tmp/hds-perf-XXXXXX)
dotnet build -c Release tests/Hds.Storage.Benchmarks -v q >/dev/null
# perf maps name the JIT-compiled methods; W^X off so that perf sees them where they run.
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 HDS_BENCH_PHASES=1 \
  perf record -e cpu-clock -a -F 999 -o "$out/perf.data" -- \
  dotnet run -c Release --no-build --project tests/Hds.Storage.Benchmarks -- e2e --no-write "${args[@]}" >"$out/e2e.out" 2>&1
grep -E '^\| (put|get|ranged)' "$out/e2e.out" || true
/usr/bin/python3 eng/perf-slice.py "$out/perf.data" "$out/e2e.out"
echo "raw data: $out"
