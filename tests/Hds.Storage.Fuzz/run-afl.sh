#!/usr/bin/env bash
# The longer local fuzz run: AFL++ over the SharpFuzz-instrumented Hds.Storage.dll, one target after the other.
# Needs: apt-get install afl++ ; dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0
# Usage: tests/Hds.Storage.Fuzz/run-afl.sh [seconds per target, default 600] [targets...]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-600}"; shift || true
targets=("${@:-header object keyring audit}")
out="${HDS_FUZZ_OUT:-/tmp/hds-fuzz}"
mkdir -p "$out"
rm -rf "$out/bin"
dotnet publish "$here" -c Release -o "$out/bin" -v q
"${HOME}/.dotnet/tools/sharpfuzz" "$out/bin/Hds.Storage.dll"
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
for target in ${targets[@]}; do
  rm -rf "$out/findings-$target"
  afl-fuzz -V "$seconds" -t 10000 -m none -i "$here/corpus/$target" -o "$out/findings-$target" -- \
    "$out/bin/Hds.Storage.Fuzz" "$target" > "$out/afl-$target.log" 2>&1 || true
  stats="$out/findings-$target/default/fuzzer_stats"
  echo "$target: execs=$(awk -F' : ' '/^execs_done/{print $2}' "$stats") paths=$(awk -F' : ' '/^corpus_count/{print $2}' "$stats") crashes=$(awk -F' : ' '/^saved_crashes/{print $2}' "$stats") hangs=$(awk -F' : ' '/^saved_hangs/{print $2}' "$stats")"
done
