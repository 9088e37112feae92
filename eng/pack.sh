#!/usr/bin/env bash
# Packs the shipped packages (Hds.Storage, Hds.Storage.AspNetCore, Hds.Storage.Cli) into artifacts/packages — with README, license,
# XML docs, SourceLink, deterministic build, .snupkg symbols and package validation — then installs the hds tool from that folder
# into a temporary tool path and runs `hds --help`, as a user would after `dotnet tool install`.
# Usage: eng/pack.sh [output-dir]   (default: artifacts/packages). Exits non-zero on any failure. Run by the integration test
# PackagingTests (so it counts in `dotnet test`), and usable alone in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out=$(realpath -m "${1:-artifacts/packages}")
mkdir -p "$out"
rm -f "$out"/Hds.Storage*.nupkg "$out"/Hds.Storage*.snupkg

# Release output goes to its own folders: a concurrent Debug build or test run is not disturbed.
for project in src/Hds.Storage src/Hds.Storage.AspNetCore src/Hds.Storage.Cli; do
  dotnet pack "$project" -c Release -o "$out" -p:ContinuousIntegrationBuild=true --nologo -v:q
done

for package in Hds.Storage Hds.Storage.AspNetCore Hds.Storage.Cli; do
  nupkg=$(ls "$out"/"$package".[0-9]*.nupkg | head -n 1)
  [ -f "${nupkg%.nupkg}.snupkg" ] || { echo "missing symbols package for $package" >&2; exit 1; }
  entries=$(unzip -Z1 "$nupkg")
  grep -qx 'README.md' <<<"$entries" || { echo "$package: no README.md in the package" >&2; exit 1; }
  if [ "$package" != Hds.Storage.Cli ]; then
    grep -q "lib/net10.0/$package.xml" <<<"$entries" || { echo "$package: no XML documentation in the package" >&2; exit 1; }
  fi
  unzip -p "$nupkg" "$package.nuspec" | grep -q '<license type="expression">Apache-2.0</license>' \
    || { echo "$package: no license expression" >&2; exit 1; }
done

tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
# The tool's dependencies come from the configured feeds; Hds.Storage and the tool itself from the folder just packed. A package
# cache of its own: the version does not change between packs, and the user's cache would answer with an older copy.
NUGET_PACKAGES="$tools/packages" dotnet tool install --tool-path "$tools" --add-source "$out" Hds.Storage.Cli >/dev/null
"$tools/hds" --help >/dev/null
echo "packed and installed: $(cd "$out" && ls *.nupkg | tr '\n' ' ')"
