using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Multisite;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MultisiteCollection
{
    public const string Name = "Multisite";
}

/// <summary>
/// The three replicating zones for one test: every zone's gateway running and replicating before and after it (a test may kill a
/// gateway or pause a zone's replication), and a fresh object-lock bucket known to every zone.
/// </summary>
public abstract class MultisiteTest : IAsyncLifetime
{
    protected static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");

    protected MultisiteServer Server { get; private set; } = null!;

    protected string Bucket { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static ITestOutputHelper Output => TestContext.Current.TestOutputHelper!;

    /// <summary>
    /// A client whose sites are <paramref name="zones"/> in that preference order (the test decides where calls go: no health
    /// probe reordering them), then <paramref name="configure"/>.
    /// </summary>
    protected HdsStorageClient ZoneClient(IReadOnlyList<string> zones, Action<HdsStorageOptions>? configure = null)
    {
        var options = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        options.S3!.Sites.Clear();
        for (var i = 0; i < zones.Count; i++)
        {
            options.S3.Sites.Add(new Hds.Storage.HdsSiteOptions { Name = zones[i], ServiceUrl = Server.Endpoint(zones[i]), Priority = i });
        }

        options.S3.HealthProbeInterval = TimeSpan.Zero;
        TestCertificates.Apply(options);
        configure?.Invoke(options);
        return new HdsStorageClient(options);
    }

    public async ValueTask InitializeAsync()
    {
        Server = await MultisiteServer.GetAsync();
        await MultisiteServer.RestoreZonesAsync();
        Bucket = await Server.CreateBucketAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await MultisiteServer.RestoreZonesAsync();
        GC.SuppressFinalize(this);
    }
}
