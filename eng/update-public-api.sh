#!/usr/bin/env bash
# Adds every public symbol the PublicApiAnalyzers report as undeclared (RS0016) to the project's PublicAPI.Unshipped.txt.
# Usage: eng/update-public-api.sh src/Hds.Storage
set -euo pipefail
proj=${1:?project directory}
out=$(dotnet build "$proj" --no-incremental 2>&1 || true)
printf '%s\n' "$out" | grep -oP "RS0016: Symbol '\K.*(?=' is not part of the declared public API)" | sort -u > /tmp/rs0016.txt || true
if [ -s /tmp/rs0016.txt ]; then
  { cat "$proj/PublicAPI.Unshipped.txt"; cat /tmp/rs0016.txt; } | grep -v '^#nullable' | sort -u > /tmp/unshipped.txt
  { echo '#nullable enable'; cat /tmp/unshipped.txt; } > "$proj/PublicAPI.Unshipped.txt"
  echo "added $(wc -l < /tmp/rs0016.txt) symbols"
fi
printf '%s\n' "$out" | grep -E ' error ' | grep -v RS0016 | sort -u | head -40 || true
