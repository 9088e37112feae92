using System.Text.RegularExpressions;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// <c>hds ls</c> over more objects than one storage listing page (1,000) and one printed table (500), against the RGW: printed as
/// read, page by page (memory does not grow with the number of objects), every object once, in order, as one JSON array or as
/// tables followed by the count.
/// </summary>
public sealed class ListingCliTests(S3CliBackend backend) : IClassFixture<S3CliBackend>, IDisposable
{
    private const string Tenant = "msa-test";
    private const int Objects = 1001;
    private static readonly string[] Context = ["--actor", "op-42", "--tenant", Tenant, "--purpose", "audit"];
    private readonly string _prefix = "ls-" + Guid.NewGuid().ToString("N")[..12] + "/";
    private readonly string _work = Directory.CreateTempSubdirectory("hds-ls-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Ls_over_more_than_a_page_prints_every_object_once_in_order_as_json_and_as_tables_then_the_count()
    {
        var server = await Infrastructure.S3Server.GetAsync();
        var options = new HdsStorageOptions { S3 = server.Options(backend.Bucket) };
        Infrastructure.TestCertificates.Apply(options);
        options.Audit.SpoolDirectory = Path.Combine(_work, "spool");
        await using (var client = new HdsStorageClient(options))
        {
            var context = new HdsAccessContext("op-42", Tenant, "audit");
            await Parallel.ForEachAsync(Enumerable.Range(0, Objects), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
                await client.PutAsync($"{_prefix}{i:0000}", new MemoryStream([(byte)i]), new HdsPutOptions { Context = context }, ct));
        }

        var json = await Hds("ls", _prefix, "-o", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(
            Enumerable.Range(0, Objects).Select(i => $"{_prefix}{i:0000}"),
            json.Json().EnumerateArray().Select(item => item.GetProperty("key").GetString()));

        var human = await Hds("ls", _prefix, "-o", "human");
        Assert.True(human.ExitCode == 0, human.ToString());
        Assert.Equal(3, Regex.Count(human.StdoutText, @"Key +[│|] +Stored size")); // tables of 500, 500 and 1 rows
        Assert.Equal(Objects, Regex.Count(human.StdoutText, Regex.Escape(_prefix) + @"\d{4} "));
        Assert.EndsWith($"{Objects} object(s), latest versions.\n", human.StdoutText, StringComparison.Ordinal);
    }

    private Task<CliResult> Hds(params string[] args) =>
        CliRunner.RunAsync([.. args, .. backend.BackendArgs, .. Context], environment: backend.Environment, workingDirectory: _work);
}
