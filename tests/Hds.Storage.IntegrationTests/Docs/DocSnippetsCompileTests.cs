using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Docs;

/// <summary>
/// Every C# block of the README files and docs/ compiles against the public API (issue 15: the docs must not drift from the
/// surface that ships). Each block is compiled alone, as a program, with the implicit usings of a web project; a block with its
/// own <c>using Hds.…</c> lines is checked with those only (it is meant to be copied as it is), a fragment gets every public Hds
/// namespace; a fragment that uses <c>builder</c>, <c>app</c>, <c>client</c> or <c>stream</c> without declaring them gets them
/// declared before it, and the example types the documents name (<c>HsmKeyProvider</c>…) exist. Only public types are visible: the snippet compilation has no access to internals.
/// </summary>
public sealed class DocSnippetsCompileTests
{
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.IO", "System.Collections.Generic", "System.Linq", "System.Net.Http", "System.Threading", "System.Threading.Tasks",
        "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing",
        "Microsoft.Extensions.Configuration", "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    // Declared before a fragment that uses them without declaring them (the README's own context says what they are).
    private static readonly (string Name, string Declaration)[] Prelude =
    [
        ("builder", "var builder = WebApplication.CreateBuilder(args);"),
        ("app", "var app = builder.Build();"),
        ("client", "HdsStorageClient client = null!;"),
        ("stream", "Stream stream = Stream.Null;"),
    ];

    // The application's own types that the documents name as examples of the extension points.
    private const string ExampleTypes = """
        sealed class HsmKeyProvider : Hds.Storage.HdsKeyEncryptionKeyProvider
        {
            public override ValueTask<Hds.Storage.Models.HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken) => throw new NotSupportedException();
            public override ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken) => throw new NotSupportedException();
        }
        sealed class RightsServicePolicy : Hds.Storage.HdsAuthorizationPolicy
        {
            public override ValueTask<Hds.Storage.HdsAuthorizationDecision> AuthorizeAsync(Hds.Storage.HdsAuthorizationRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();
        }
        sealed class SiemAuditSink : Hds.Storage.HdsAuditSink
        {
            public override ValueTask<Hds.Storage.Models.HdsAuditRecord> WriteAsync(Hds.Storage.Models.HdsAuditRecord record, CancellationToken cancellationToken) => throw new NotSupportedException();
        }
        """;

    public static TheoryData<string, int> Snippets()
    {
        var data = new TheoryData<string, int>();
        foreach (var file in DocumentFiles())
        {
            var count = Blocks(File.ReadAllText(Path.Combine(RepositoryRoot, file))).Count;
            for (var i = 0; i < count; i++)
            {
                data.Add(file, i);
            }
        }

        return data;
    }

    [Fact]
    public void The_documents_hold_csharp_snippets()
    {
        // Guards the theory below against finding nothing (a moved README, a changed fence) and so passing without checking.
        Assert.True(Snippets().Count >= 4, $"{Snippets().Count} C# snippets found under {RepositoryRoot}");
    }

    [Theory]
    [MemberData(nameof(Snippets))]
    public void A_documented_snippet_compiles_against_the_public_api(string file, int block)
    {
        var (code, line) = Blocks(File.ReadAllText(Path.Combine(RepositoryRoot, file)))[block];
        var prelude = Prelude
            .Where(p => Regex.IsMatch(code, $@"\b{p.Name}\b") && !Regex.IsMatch(code, $@"\b(var|[A-Z]\w*)\s+{p.Name}\s*=")
                || p.Name == "builder" && Regex.IsMatch(code, @"\bapp\b") && !Regex.IsMatch(code, @"\bvar\s+app\s*=") && !Regex.IsMatch(code, @"\bvar\s+builder\s*="))
            .Select(p => p.Declaration);
        // A block with its own Hds usings is a program to copy as it is: its usings are checked too. A fragment gets them all.
        var complete = code.Contains("using Hds.", StringComparison.Ordinal);
        var usings = string.Concat(ImplicitUsings.Concat(complete ? [] : PublicNamespaces()).Select(n => $"global using {n};\n"));
        // The block's own using directives must come first in its file: the prelude goes after them.
        var lines = code.Split('\n');
        var head = lines.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal) || string.IsNullOrWhiteSpace(l)).Count();
        var source = string.Join('\n', lines.Take(head)) + "\n" + string.Join('\n', prelude) + "\n#line " + (line + head) + "\n" + string.Join('\n', lines.Skip(head));

        var compilation = CSharpCompilation.Create(
            "Snippet",
            [
                CSharpSyntaxTree.ParseText(usings, path: "Usings.cs", cancellationToken: TestContext.Current.CancellationToken),
                CSharpSyntaxTree.ParseText(ExampleTypes, path: "ExampleTypes.cs", cancellationToken: TestContext.Current.CancellationToken),
                CSharpSyntaxTree.ParseText(source, path: file, cancellationToken: TestContext.Current.CancellationToken),
            ],
            References.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics(TestContext.Current.CancellationToken).Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();
        // A block to copy names only the public namespaces (a namespace left with internal types alone still compiles).
        var published = PublicNamespaces().ToHashSet(StringComparer.Ordinal);
        errors.AddRange(Regex.Matches(code, @"^using (Hds\.[\w.]+);", RegexOptions.Multiline).Select(m => m.Groups[1].Value)
            .Where(n => !published.Contains(n)).Select(n => $"using {n}: not a public namespace of the packages"));
        Assert.True(errors.Count == 0, $"{file}, C# block {block + 1} (line {line}) does not compile:\n{string.Join('\n', errors)}");
    }

    private static readonly Lazy<List<MetadataReference>> References = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => !Path.GetFileName(p).StartsWith("Hds.Storage.IntegrationTests", StringComparison.Ordinal)
                && !string.Equals(Path.GetFileName(p), "hds.dll", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToList());

    // The namespaces the shipped packages make public (the snippet sees what a consumer's `using`s could reach).
    private static IEnumerable<string> PublicNamespaces() =>
        new[] { typeof(HdsStorageClient).Assembly, typeof(Hds.Storage.AspNetCore.HdsAccessContextMiddleware).Assembly }
            .SelectMany(a => a.GetExportedTypes())
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(n => n.StartsWith("Hds.", StringComparison.Ordinal))
            .Distinct()
            .Order(StringComparer.Ordinal);

    private static List<(string Code, int Line)> Blocks(string markdown)
    {
        var blocks = new List<(string, int)>();
        var lines = markdown.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimEnd() is "```csharp" or "```cs" or "```c#")
            {
                var start = i + 1;
                var end = start;
                while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    end++;
                }

                blocks.Add((string.Join('\n', lines[start..end]), start + 1));
                i = end;
            }
        }

        return blocks;
    }

    private static IEnumerable<string> DocumentFiles()
    {
        var root = RepositoryRoot;
        return new[] { "README.md" }
            .Concat(Directory.GetFiles(Path.Combine(root, "docs"), "*.md", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(Path.Combine(root, "src"), "README.md", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(Path.Combine(root, "samples"), "*.md", SearchOption.AllDirectories))
            .Select(f => Path.GetRelativePath(root, Path.Combine(root, f)).Replace('\\', '/'))
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Distinct()
            .Order(StringComparer.Ordinal);
    }

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "README.md")) && Directory.Exists(Path.Combine(dir.FullName, "docs")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("The repository root (README.md, docs/, src/) was not found above " + AppContext.BaseDirectory);
        }
    }
}
