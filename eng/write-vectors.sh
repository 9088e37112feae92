#!/usr/bin/env bash
# Regenerates committed test vectors, then shows the diff to review. These are tools (explicit xUnit tests, never run by the suite,
# which checks the committed files instead).
#   eng/write-vectors.sh           format vectors (tests/Hds.Storage.Tests/Encryption/vectors/v*.json, refusals.json): deterministic,
#                                  so an unchanged encoder rewrites the same bytes. Only for a new format version.
#   eng/write-vectors.sh keyring   the key-ring entry vector (keyring-entry.json): draws a new test certificate. Only for a new
#                                  key-ring payload version.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-format}" in
  format) method="*.KnownAnswerTests.Write_vectors" ;;
  keyring) method="*.KeyRingVectorTests.Write_key_ring_vector" ;;
  *) echo "usage: eng/write-vectors.sh [format|keyring]" >&2; exit 2 ;;
esac
dotnet test --project tests/Hds.Storage.Tests -- --filter-method "$method" --explicit only
git --no-pager diff --stat -- tests/Hds.Storage.Tests/Encryption/vectors
