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

# Package validation against a baseline: the next patch version of the libraries packed against the version just packed, as a
# release after 1.0.0 will be against the published 1.0.0 (binary compatibility beyond PublicAPI.Shipped.txt). The baseline is
# restored from the folder just packed: a copy of that version left in the package cache by an earlier pack is removed first.
baseline=$(basename "$(ls "$out"/Hds.Storage.[0-9]*.nupkg | head -n 1)" .nupkg); baseline=${baseline#Hds.Storage.}
next="${baseline%.*}.$(( ${baseline##*.} + 1 ))"
cache=$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')
for project in src/Hds.Storage src/Hds.Storage.AspNetCore; do
  package=$(basename "$project")
  rm -rf "$cache/${package,,}/$baseline"
  dotnet pack "$project" -c Release -o "$tools/next" -p:VersionPrefix="$next" -p:HdsPackageBaseline="$baseline" \
    -p:RestoreAdditionalProjectSources="$out" --nologo -v:q >"$tools/baseline.log" 2>&1 \
    || { cat "$tools/baseline.log" >&2; echo "$package $next is not compatible with $baseline" >&2; exit 1; }
done
echo "package validation: $next compatible with the $baseline baseline"
# The tool's dependencies come from the configured feeds; Hds.Storage and the tool itself from the folder just packed. A package
# cache of its own: the version does not change between packs, and the user's cache would answer with an older copy.
NUGET_PACKAGES="$tools/packages" dotnet tool install --tool-path "$tools" --add-source "$out" Hds.Storage.Cli >/dev/null
"$tools/hds" --help >/dev/null

# A new ASP.NET Core 10 app that adds Hds.Storage must copy none of the shared framework's assemblies into its output: the library
# depends on the 10.0.0 Microsoft.Extensions.* and Pkcs packages, which the framework's own (same or newer) always win over.
version=$(basename "$(ls "$out"/Hds.Storage.[0-9]*.nupkg | head -n 1)" .nupkg); version=${version#Hds.Storage.}
web="$tools/webapp"
mkdir -p "$web"
cat > "$web/WebApp.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings><Nullable>enable</Nullable></PropertyGroup>
  <ItemGroup><PackageReference Include="Hds.Storage" Version="$version" /></ItemGroup>
</Project>
XML
cat > "$web/Program.cs" <<'CS'
using Hds.Storage;
var builder = WebApplication.CreateBuilder(args);
builder.Services.AddHdsStorage(o => o.Local = new() { Path = "store" });
var app = builder.Build();
app.MapGet("/", () => "ok");
app.Run();
CS
# Outside the repository: its Directory.Build.props and central package versions must not apply to a consumer's app.
echo '<Project />' > "$tools/Directory.Build.props"; echo '<Project />' > "$tools/Directory.Packages.props"
# The packed folder as one more feed beside the user's configured ones.
printf '<configuration><packageSources><add key="hds-packed" value="%s" /></packageSources></configuration>\n' "$out" > "$tools/nuget.config"
NUGET_PACKAGES="$tools/packages" dotnet build "$web" -c Release -o "$web/bin" --nologo -v:q >"$tools/webapp.log" 2>&1 || { cat "$tools/webapp.log" >&2; echo "the web app using Hds.Storage does not build" >&2; exit 1; }
copied=$(cd "$web/bin" && ls | grep -E '^(Microsoft\.Extensions\..*|System\.Security\.Cryptography\.Pkcs)\.dll$' || true)
[ -z "$copied" ] || { echo "a new ASP.NET Core 10 app copies framework assemblies: $copied" >&2; exit 1; }
[ -f "$web/bin/Hds.Storage.dll" ] || { echo "the web app output has no Hds.Storage.dll" >&2; exit 1; }
echo "web app output: no Microsoft.Extensions.* or Pkcs assembly"
echo "packed and installed: $(cd "$out" && ls *.nupkg | tr '\n' ' ')"
