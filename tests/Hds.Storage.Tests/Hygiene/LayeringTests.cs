using System.Text.RegularExpressions;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Hygiene;

/// <summary>
/// The library's layers (issue 15): its feature folders (= namespaces) depend on each other without cycles, no AsyncLocal is
/// left in the sources but the public ambient <c>HdsAccessScope</c>'s, no source file grows past ~400 lines without saying why at its top,
/// and the core package depends on no analytics library (issue 17).
/// Read from the sources, so the rules hold for code added later too.
/// </summary>
public sealed partial class LayeringTests
{
    private const int MaxLines = 400;

    [Fact]
    public void Feature_namespaces_of_the_library_have_no_dependency_cycle()
    {
        // The public namespaces are left out: the root (the client shell, its options, extension points and exceptions) and Models
        // (the results), whose types live in the feature folders that own them (issue 15: few public namespaces, not one per
        // folder). The cycles checked are those between the features' internal namespaces.
        var edges = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (_, text) in Sources())
        {
            if (NamespaceDeclaration().Match(text) is not { Success: true } declared || declared.Groups[1].Value is "Hds.Storage" or "Hds.Storage.Models")
            {
                continue;
            }

            var from = declared.Groups[1].Value;
            var targets = edges.TryGetValue(from, out var set) ? set : edges[from] = new SortedSet<string>(StringComparer.Ordinal);
            // using directives, and names qualified from a feature (Models.HdsAuditOutcome) outside comments and strings.
            var code = StringLiteral().Replace(LineComment().Replace(text, string.Empty), "\"\"");
            var used = UsingDirective().Matches(text).Select(m => m.Groups[1].Value)
                .Concat(QualifiedName().Matches(code).Select(m => "Hds.Storage." + m.Groups[1].Value));
            foreach (var to in used)
            {
                // A nested namespace sees its parents' types anyway; using a parent is not a dependency cycle by itself.
                if (to != from && to is not "Hds.Storage" and not "Hds.Storage.Models" && !from.StartsWith(to + ".", StringComparison.Ordinal))
                {
                    targets.Add(to);
                }
            }
        }

        var cycle = FindCycle(edges);
        Assert.True(cycle is null, "namespace cycle: " + string.Join(" -> ", cycle ?? []));
    }

    [Fact]
    public void No_AsyncLocal_in_the_sources_but_the_public_ambient_access_scope()
    {
        // Every project under src (library, CLI, ASP.NET Core): the operation is passed as a parameter (OperationContext), never
        // carried by an ambient value; only the public HdsAccessScope, which callers set themselves, holds one AsyncLocal.
        var uses = Sources(Path.Combine(RepositoryRoot(), "src"))
            .SelectMany(s => AsyncLocalUse().Matches(LineComment().Replace(s.Text, string.Empty)).Select(_ => Path.GetRelativePath(RepositoryRoot(), s.Path)))
            .ToList();
        Assert.Equal([Path.Combine("src", "Hds.Storage", "Access", "HdsAccessScope.cs")], uses);
    }

    [Fact]
    public void No_library_file_over_400_lines_without_a_reason_at_its_top()
    {
        var long_ = Sources()
            .Where(s => s.Text.Split('\n').Length > MaxLines)
            .Where(s => !s.Text.Split('\n').Take(15).Any(l => l.Contains("longer than", StringComparison.OrdinalIgnoreCase) && l.TrimStart().StartsWith("//", StringComparison.Ordinal)))
            .Select(s => $"{Path.GetFileName(s.Path)} ({s.Text.Split('\n').Length} lines)")
            .ToList();
        Assert.True(long_.Count == 0, "over " + MaxLines + " lines with no reason stated at the top (a '// longer than …' comment): " + string.Join(", ", long_));
    }

    [Fact]
    public void The_core_package_depends_on_no_analytics_library()
    {
        // Issue 17: Parquet and DuckDB (large, native code for DuckDB) live in the CLI; the core package's users never carry them.
        // Checked on the compiled references and on the restored package closure (a transitive dependency counts too).
        static bool Analytics(string name) => name.Contains("Parquet", StringComparison.OrdinalIgnoreCase) || name.Contains("DuckDB", StringComparison.OrdinalIgnoreCase);

        var referenced = typeof(HdsStorageClient).Assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(Analytics).ToList();
        Assert.True(referenced.Count == 0, "the core assembly references " + string.Join(", ", referenced));
        var assets = Path.Combine(RepositoryRoot(), "src", "Hds.Storage", "obj", "project.assets.json");
        Assert.True(File.Exists(assets), "restore src/Hds.Storage first: " + assets);
        using var restored = System.Text.Json.JsonDocument.Parse(File.ReadAllText(assets));
        var packages = restored.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains(packages, p => p.StartsWith("AWSSDK.S3/", StringComparison.Ordinal)); // the closure was read
        Assert.DoesNotContain(packages, Analytics);
    }

    private static List<string>? FindCycle(SortedDictionary<string, SortedSet<string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the path, 2 done
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in edges.TryGetValue(node, out var targets) ? targets : [])
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.Skip(path.IndexOf(next)), next];
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        foreach (var node in edges.Keys)
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    private static string RepositoryRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Hds.Storage.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");
        }

        return root;
    }

    // The library's sources.
    private static IEnumerable<(string Path, string Text)> Sources() => Sources(Path.Combine(RepositoryRoot(), "src", "Hds.Storage"));

    private static IEnumerable<(string Path, string Text)> Sources(string directory)
    {
        return Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(p => (p, File.ReadAllText(p)));
    }

    [GeneratedRegex(@"^namespace (Hds\.Storage[\w.]*)\s*;", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"^using (Hds\.Storage[\w.]*);", RegexOptions.Multiline)]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"(?<![\w.])(Access|Audit|Backends(?:\.S3(?:\.Sites)?|\.Local)?|Diagnostics|Encryption|Keys|Locking|Models|Objects|Retention|IO|DependencyInjection)\.[A-Z]\w*")]
    private static partial Regex QualifiedName();

    // AsyncLocal<T> in code (a comment naming it does not count), also qualified (System.Threading.AsyncLocal<T>).
    [GeneratedRegex(@"\bAsyncLocal\s*<")]
    private static partial Regex AsyncLocalUse();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"@?\$?""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex StringLiteral();
}
