using System.Globalization;
using System.Text.Json;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>
/// Issue 17: every filter of <c>hds audit search</c> reaches the search (on the embedded store: the filters are the CLI's, the store
/// does not matter; the RGW end to end is <see cref="AuditSearchTests"/>). Each option alone keeps only the records it names, the
/// tenant defaults to the context's, and the human table shows the same records as the JSON Lines.
/// </summary>
public sealed class AuditSearchCliTests : IDisposable
{
    private const string PatientA = "msa:p-27182818";
    private const string PatientB = "msa:p-16180339";
    private readonly string _work = Directory.CreateTempSubdirectory("hds-audit-search-cli-").FullName;

    private string Store => Path.Combine(_work, "store");

    public void Dispose() => TempDirectories.Delete(_work);

    [Fact]
    public async Task Each_search_option_keeps_only_the_records_it_names()
    {
        AssertExit(0, await Run("bucket", "create", "--local", Store, "--actor", "op-1", "--tenant", "msa", "--purpose", "audit"));
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "document", TestContext.Current.CancellationToken);
        AssertExit(0, await Act("doc-7", "msa", "care", PatientA, "put", input, "docs/a1", "--class", "short"));
        AssertExit(0, await Act("doc-7", "msa", "care", PatientA, "put", input, "docs/a10", "--class", "short"));
        var second = await Act("doc-7", "msa", "care", PatientA, "put", input, "docs/a1", "--class", "short");
        AssertExit(0, second);
        var secondVersion = second.Json().GetProperty("versionId").GetString()!;
        AssertExit(0, await Act("doc-8", "msa", "care", PatientA, "get", "docs/a1", "--out", Path.Combine(_work, "a1.out")));
        AssertExit(0, await Act("res-2", "ght", "research", PatientB, "put", input, "docs/b1", "--class", "short"));
        AssertExit(3, await Act("doc-8", "msa", "care", PatientA, "audit", "search")); // no auditor role: refused, and recorded as Denied
        var between = DateTimeOffset.UtcNow;
        await Task.Delay(1100, TestContext.Current.CancellationToken); // records are stamped to the millisecond: a clear boundary
        AssertExit(0, await Act("doc-8", "msa", "care", PatientA, "verify", "docs/a10"));

        Assert.Equal(["Get docs/a1", "Put docs/a1", "Put docs/a1", "Put docs/a10", "Verify docs/a10"], await Documents()); // tenant msa by default
        Assert.Equal(["Put docs/b1"], await Documents("--for-tenant", "ght"));
        Assert.Equal(["Get docs/a1", "Put docs/a1", "Put docs/a1", "Put docs/a10", "Put docs/b1", "Verify docs/a10"], await Documents("--all-tenants"));
        Assert.Equal(["Put docs/b1"], await Documents("--all-tenants", "--for-purpose", "research"));
        Assert.Equal(["Put docs/b1"], await Documents("--all-tenants", "--patient", PatientB));
        Assert.Equal(["Get docs/a1", "Verify docs/a10"], await Documents("--by-actor", "doc-8"));
        Assert.Equal(["Verify docs/a10"], await Documents("--operation", "Verify"));
        Assert.Equal(["Get docs/a1", "Put docs/a1", "Put docs/a1"], await Documents("--key", "docs/a1"));
        Assert.Equal(["Get docs/a1", "Put docs/a1", "Put docs/a1", "Put docs/a10", "Verify docs/a10"], await Documents("--key-prefix", "docs/a1"));
        Assert.Equal(["Get docs/a1", "Put docs/a1"], await Documents("--version-id", secondVersion)); // the write of that version and the read of it
        Assert.Equal(["Verify docs/a10"], await Documents("--from", between.ToString("O", CultureInfo.InvariantCulture)));
        Assert.Equal(["Get docs/a1", "Put docs/a1", "Put docs/a1", "Put docs/a10"], await Documents("--to", between.ToString("O", CultureInfo.InvariantCulture)));
        // A date alone as --to is the end of that day (UTC): the day of the last write includes it.
        var verifiedAt = Lines(await Auditor("audit", "search", "--operation", "Verify")).Single().GetProperty("time").GetDateTimeOffset();
        Assert.Contains("Verify docs/a10", await Documents("--to", verifiedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        var firstWrite = Lines(await Auditor("audit", "search", "--operation", "Put")).Min(r => r.GetProperty("time").GetDateTimeOffset());
        Assert.Empty(await Documents("--to", firstWrite.UtcDateTime.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        AssertExit(1, await Auditor("audit", "search", "--from", "last tuesday"));
        var unnamed = await Auditor("audit", "report", "--format", "json"); // a report is one patient's: --patient is required
        AssertExit(1, unnamed);
        Assert.Contains("--patient", unnamed.Stderr, StringComparison.Ordinal);
        var denied = Lines(await Auditor("audit", "search", "--outcome", "Denied"));
        Assert.Equal(("ReadAudit", "doc-8"), (Assert.Single(denied).GetProperty("operation").GetString(), denied[0].GetProperty("actorId").GetString()));

        // The human table: the same records, one row each.
        var table = await Auditor("audit", "search", "--by-actor", "doc-8", "--operation", "Get", "--output", "human");
        AssertExit(0, table);
        Assert.Contains("docs/a1", table.StdoutText, StringComparison.Ordinal);
        Assert.Contains(PatientA, table.StdoutText, StringComparison.Ordinal);
        Assert.DoesNotContain("docs/a10", table.StdoutText, StringComparison.Ordinal);
        Assert.Contains("1 record(s) found", table.Stderr, StringComparison.Ordinal);
    }

    // The document operations found, as "Operation key", sorted.
    private async Task<List<string>> Documents(params string[] filters)
    {
        var result = await Auditor(["audit", "search", .. filters]);
        AssertExit(0, result);
        // Left out: the bucket's creation (no key) and the searches (a search by key names that key in its own record).
        return [.. Lines(result).Where(r => r.TryGetProperty("key", out _) && r.GetProperty("operation").GetString() != "ReadAudit")
            .Select(r => $"{r.GetProperty("operation").GetString()} {r.GetProperty("key").GetString()}").Order(StringComparer.Ordinal)];
    }

    private static List<JsonElement> Lines(CliResult result) =>
        [.. result.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private Task<CliResult> Act(string actor, string tenant, string purpose, string patient, params string[] args) =>
        Run([.. args, "--local", Store, "--actor", actor, "--tenant", tenant, "--purpose", purpose, "--patient", patient]);

    private Task<CliResult> Auditor(params string[] args) =>
        Run([.. args, "--local", Store, "--actor", "dpo-1", "--tenant", "msa", "--purpose", "audit", "--role", "auditor"]);

    private Task<CliResult> Run(params string[] args) => CliRunner.RunAsync(args, workingDirectory: _work);

    private static void AssertExit(int expected, CliResult result) =>
        Assert.True(result.ExitCode == expected, string.Create(CultureInfo.InvariantCulture, $"expected exit {expected}, got {result}"));
}
