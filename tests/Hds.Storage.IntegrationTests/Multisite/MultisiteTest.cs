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
