#!/usr/bin/env python3
"""Issue 15 (1.0 public API): every public type of the core package starts with `Hds`.

Renames the 24 public types that did not (PutOptions -> HdsPutOptions, StorageReceipt -> HdsStorageReceipt, ...):
TYPES only, never a property, a JSON field name or a configuration key (the `RetentionClass` property of HdsPutOptions,
the `S3` / `Local` / `Encryption` properties of HdsStorageOptions, AWSSDK's GetObjectResponse.ContentRange stay as
they are). Re-runnable: when a type is already renamed (a tree merged with branches written against the old names), the
references to the old name that no longer bind, in type positions only, are renamed instead.

1. C#: a throwaway Roslyn console (Microsoft.CodeAnalysis.Workspaces.MSBuild) opens Hds.Storage.sln and renames each
   symbol with Renamer: declarations, references, qualified names and doc-comment crefs in every project of the
   solution (src, tests, samples), by meaning, so a property of the same name is never touched.
2. Files: `Old.cs` holding the type becomes `HdsOld.cs` (one public type per file, named after it), with `git mv`.
3. Markdown (docs/, README.md files): the names outside member access (`.RetentionClass`) and outside initializer or
   named-argument positions (`RetentionClass =`, `RetentionClass:`), which is where the C# snippets use properties.
4. PublicAPI.*.txt of Hds.Storage (and Hds.Storage.AspNetCore): the type names where they stand for the type.

Usage: python3 eng/rename-1.0.py            (from anywhere inside the repository; needs the .NET SDK and git)
"""
import os
import pathlib
import re
import subprocess
import sys

CORE = [
    # (namespace, old name)
    ("Hds.Storage", "EncryptionOptions"),
    ("Hds.Storage", "GetOptions"),
    ("Hds.Storage", "KeyEncryptionKeyProvider"),
    ("Hds.Storage", "ListOptions"),
    ("Hds.Storage", "LocalStorageOptions"),
    ("Hds.Storage", "PutOptions"),
    ("Hds.Storage", "RetentionClass"),
    ("Hds.Storage", "S3ConsistencyControl"),
    ("Hds.Storage", "S3StorageOptions"),
    ("Hds.Storage", "SiteOptions"),
    ("Hds.Storage", "VerifyOptions"),
    ("Hds.Storage.Models", "BucketCompliance"),
    ("Hds.Storage.Models", "ContentRange"),
    ("Hds.Storage.Models", "DeleteResult"),
    ("Hds.Storage.Models", "KeyRingEntry"),
    ("Hds.Storage.Models", "ObjectItem"),
    ("Hds.Storage.Models", "ObjectPage"),
    ("Hds.Storage.Models", "ObjectProperties"),
    ("Hds.Storage.Models", "ObjectVersionItem"),
    ("Hds.Storage.Models", "RetentionInfo"),
    ("Hds.Storage.Models", "RetentionMode"),
    ("Hds.Storage.Models", "StorageReceipt"),
    ("Hds.Storage.Models", "VerificationResult"),
    ("Hds.Storage.Models", "WrappedDataKey"),
]

TOOL_CSPROJ = """<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <NoWarn>NU1603</NoWarn>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Microsoft.Build.Locator" Version="1.11.2" />
    <PackageReference Include="Microsoft.CodeAnalysis.Workspaces.MSBuild" Version="5.12.0" />
    <PackageReference Include="Microsoft.CodeAnalysis.CSharp.Workspaces" Version="5.12.0" />
    <!-- MSBuild itself comes from the SDK found by the locator, never from the tool's output. -->
    <PackageReference Include="Microsoft.Build.Framework" Version="18.9.6" ExcludeAssets="runtime" PrivateAssets="all" />
    <PackageReference Include="Microsoft.NET.StringTools" Version="18.9.6" ExcludeAssets="runtime" PrivateAssets="all" />
  </ItemGroup>
</Project>
"""

# args: solution path, then "Namespace.Old=New" pairs. Prints "renamed Old -> New" or "skip Old".
TOOL_PROGRAM = r"""
using Microsoft.Build.Locator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.MSBuild;
using Microsoft.CodeAnalysis.Rename;

MSBuildLocator.RegisterDefaults();
await Run.MainAsync(args);

static class Run
{
    public static async Task MainAsync(string[] args)
    {
        using var workspace = MSBuildWorkspace.Create();
        workspace.RegisterWorkspaceFailedHandler(e =>
        {
            if (e.Diagnostic.Kind == WorkspaceDiagnosticKind.Failure) Console.Error.WriteLine("workspace: " + e.Diagnostic.Message);
        });
        var solution = await workspace.OpenSolutionAsync(args[0]);
        var options = new SymbolRenameOptions(RenameOverloads: false, RenameInStrings: false, RenameInComments: false, RenameFile: false);
        foreach (var pair in args.Skip(1))
        {
            var (metadataName, newName) = (pair[..pair.IndexOf('=')], pair[(pair.IndexOf('=') + 1)..]);
            var core = solution.Projects.First(p => p.AssemblyName == "Hds.Storage");
            var compilation = (await core.GetCompilationAsync())!;
            var symbol = compilation.Assembly.GetTypeByMetadataName(metadataName);
            if (symbol is null)
            {
                var renamed = compilation.Assembly.GetTypeByMetadataName(metadataName[..(metadataName.LastIndexOf('.') + 1)] + newName);
                if (renamed is null)
                {
                    Console.WriteLine($"skip {metadataName} (not found)");
                    continue;
                }

                // Already renamed (a tree merged with a branch written against the old names): the references left behind no
                // longer bind; rename those, and only those.
                var (fixedSolution, count) = await FixUnresolvedAsync(solution, metadataName[(metadataName.LastIndexOf('.') + 1)..], newName);
                solution = fixedSolution;
                Console.WriteLine($"already renamed {metadataName} -> {newName}; {count} unresolved reference(s) fixed");
                continue;
            }
            solution = await Renamer.RenameSymbolAsync(solution, symbol, options, newName);
            Console.WriteLine($"renamed {metadataName} -> {newName}");
        }
        if (!workspace.TryApplyChanges(solution)) throw new InvalidOperationException("could not apply the renames");
    }

    // An identifier spelled like the old type name that binds to nothing, in a type position: not a member name (x.Name, an
    // initializer's or a named argument's name), or qualified by a namespace (Models.RetentionMode).
    static async Task<(Solution, int)> FixUnresolvedAsync(Solution solution, string oldName, string newName)
    {
        var count = 0;
        foreach (var projectId in solution.ProjectIds)
        {
            foreach (var documentId in solution.GetProject(projectId)!.DocumentIds)
            {
                var document = solution.GetDocument(documentId)!;
                var root = await document.GetSyntaxRootAsync();
                if (root is null || !root.DescendantTokens(descendIntoTrivia: true).Any(t => t.ValueText == oldName)) continue;
                var model = (await document.GetSemanticModelAsync())!;
                var targets = root.DescendantNodes(descendIntoTrivia: true).OfType<Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax>()
                    .Where(n => n.Identifier.ValueText == oldName && IsTypePosition(n, model) && model.GetSymbolInfo(n) is { Symbol: null, CandidateSymbols.IsEmpty: true })
                    .ToList();
                if (targets.Count == 0) continue;
                count += targets.Count;
                root = root.ReplaceNodes(targets, (n, _) => n.WithIdentifier(Microsoft.CodeAnalysis.CSharp.SyntaxFactory.Identifier(n.Identifier.LeadingTrivia, newName, n.Identifier.TrailingTrivia)));
                solution = solution.WithDocumentSyntaxRoot(documentId, root);
            }
        }

        return (solution, count);
    }

    static bool IsTypePosition(Microsoft.CodeAnalysis.CSharp.Syntax.IdentifierNameSyntax node, SemanticModel model)
    {
        switch (node.Parent)
        {
            case Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access when access.Name == node:
                return model.GetSymbolInfo(access.Expression).Symbol is INamespaceSymbol;
            case Microsoft.CodeAnalysis.CSharp.Syntax.QualifiedNameSyntax qualified when qualified.Right == node:
                return model.GetSymbolInfo(qualified.Left).Symbol is INamespaceSymbol;
            case Microsoft.CodeAnalysis.CSharp.Syntax.AssignmentExpressionSyntax assignment when assignment.Left == node
                && assignment.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.InitializerExpressionSyntax:
                return false;
            case Microsoft.CodeAnalysis.CSharp.Syntax.NameColonSyntax or Microsoft.CodeAnalysis.CSharp.Syntax.NameEqualsSyntax:
                return false;
            default:
                return true;
        }
    }
}
"""


def sh(*args, cwd=None, check=True):
    return subprocess.run(args, cwd=cwd, check=check, text=True, capture_output=True).stdout


def main():
    root = pathlib.Path(sh("git", "rev-parse", "--show-toplevel").strip())
    renames = [(ns, old, "Hds" + old) for ns, old in CORE]

    # 1. C# through Roslyn.
    tool = pathlib.Path(os.environ.get("TMPDIR", "/tmp")) / "hds-rename-1.0-tool"
    tool.mkdir(exist_ok=True)
    (tool / "RenameTool.csproj").write_text(TOOL_CSPROJ)
    (tool / "Program.cs").write_text(TOOL_PROGRAM)
    # Outside the repository: its Directory.Build.props / central package versions must not apply to the tool.
    (tool / "Directory.Build.props").write_text("<Project />\n")
    (tool / "Directory.Packages.props").write_text("<Project />\n")
    sh("dotnet", "restore", str(root / "Hds.Storage.sln"))
    args = ["dotnet", "run", "--project", str(tool), "--", str(root / "Hds.Storage.sln")]
    args += [f"{ns}.{old}={new}" for ns, old, new in renames]
    run = subprocess.run(args, text=True)
    if run.returncode != 0:
        sys.exit("the Roslyn rename failed")

    # 1b. What Roslyn leaves: the properties System.Text.Json's source generator names after the type
    #     (CliJson.Default.StorageReceipt, CliJson.Default.ListObjectItem), names qualified by the namespace inside
    #     strings (compiled snippets), and type names in plain comments (<c>S3StorageOptions.ReadYourWrites</c>).
    cs_files = [root / f for f in sh("git", "ls-files", "*.cs", cwd=root).splitlines()]
    for path in cs_files:
        if not path.exists():
            continue
        text = path.read_text()
        new_text = text
        for ns, old, new in renames:
            new_text = re.sub(rf"(\b\w*Json\.Default\.(?:List|IReadOnlyList)?){old}\b", rf"\g<1>{new}", new_text)
            new_text = re.sub(rf"\b{re.escape(ns)}\.{old}\b", f"{ns}.{new}", new_text)
        lines = new_text.split("\n")
        for i, line in enumerate(lines):
            m = re.search(r"(^\s*///?|\s//\s)", line)
            if m and '"' not in line[:m.start()]:
                head, comment = line[:m.end()], line[m.end():]
                for _, old, new in renames:
                    comment = re.sub(rf"(?<![\w.:\"-]){old}\b(?!\s*[=:](?!=))(?![\w\"-])", new, comment)
                lines[i] = head + comment
        new_text = "\n".join(lines)
        if new_text != text:
            path.write_text(new_text)
            print(f"c# text {path.relative_to(root)}")

    # 2. Files named after the type.
    for _, old, new in renames:
        for path in root.glob(f"src/**/{old}.cs"):
            text = path.read_text()
            if re.search(rf"\b(class|record|struct|enum|interface)\s+{new}\b", text):
                sh("git", "mv", str(path), str(path.with_name(new + ".cs")), cwd=root)
                print(f"moved {path.relative_to(root)} -> {new}.cs")

    # 3. Markdown: type positions only. Not after a '.' (member access) unless the qualifier is the namespace;
    #    not before '=' or ':' (object initializers, named arguments, JSON/YAML keys); not inside a word.
    md_files = [p for p in root.rglob("*.md") if "/bin/" not in str(p) and "/obj/" not in str(p)
                and ".git" not in p.parts and "node_modules" not in p.parts]
    for path in md_files:
        text = path.read_text()
        new_text = text
        for _, old, new in renames:
            pattern = re.compile(rf"(?<![\w.:\"-])(?:(Hds\.Storage\.(?:Models\.)?))?{old}\b(?!\s*[=:](?!=))(?![\w\"-])")
            new_text = pattern.sub(lambda m: (m.group(1) or "") + new, new_text)
            # Qualified by the namespace: Hds.Storage.Models.ObjectItem.
            new_text = re.sub(rf"(?<=\bHds\.Storage\.Models\.){old}\b|(?<=\bHds\.Storage\.){old}\b", new, new_text)
        if new_text != text:
            path.write_text(new_text)
            print(f"markdown {path.relative_to(root)}")

    # 4. PublicAPI files: the type in every position but a member name (Hds.Storage.PutOptions.RetentionClass.get keeps
    #    its property; Hds.Storage.PutOptions.PutOptions() is the constructor and is renamed with its type).
    for api in root.glob("src/*/PublicAPI.*.txt"):
        lines = api.read_text().splitlines()
        out = []
        for line in lines:
            for ns, old, new in renames:
                # Any qualified occurrence Ns.Old (type position) ...
                line = re.sub(rf"\b{re.escape(ns)}\.{old}\b(?!\.)", f"{ns}.{new}", line)
                line = re.sub(rf"\b{re.escape(ns)}\.{old}\.", f"{ns}.{new}.", line)
                # ... and its constructor Ns.New.Old(
                line = re.sub(rf"\b{re.escape(ns)}\.{new}\.{old}\(", f"{ns}.{new}.{new}(", line)
            out.append(line)
        api.write_text("\n".join(out) + "\n")
    print("done; now: dotnet build, bash eng/update-public-api.sh src/Hds.Storage, git diff src/*/PublicAPI.Unshipped.txt")


if __name__ == "__main__":
    main()
