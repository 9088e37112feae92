using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Backends.S3;
using Hds.Storage.Backends.S3.Sites;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Multisite;

/// <summary>
/// Read-your-writes (issue 16, deliverable 4): a client writes a second version of a key on z1, then z1 becomes unreachable and
/// its reads of "latest" fail over to z2, which lags (it holds only the first version). With HdsS3StorageOptions.ReadYourWrites the
/// client never returns the older first version: "not replicated" while no reachable zone has its write, its own version once one does.
/// Its own delete likewise: "latest" of a key it deleted is not found, even served by a zone the delete marker has not reached.
/// </summary>
[Collection(MultisiteCollection.Name)]
public sealed class ReadYourWritesTests : MultisiteTest
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Latest_after_failover_to_a_lagging_zone_is_never_older_than_the_clients_own_write(bool readYourWrites)
    {
        var z1 = new FaultProxy(Server.Endpoint("z1").Port);
        var z1Down = false;
        try
        {
            await RunAsync(z1, () => z1Down = true, readYourWrites);
        }
        finally
        {
            if (!z1Down)
            {
                await z1.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Latest_after_the_clients_own_delete_is_not_found_even_on_a_zone_the_delete_has_not_reached(bool readYourWrites)
    {
        var z1 = new FaultProxy(Server.Endpoint("z1").Port);
        var z1Down = false;
        try
        {
            await using var client = Client(z1, readYourWrites);
            var v1 = await client.PutAsync("ryw/deleted.bin", new MemoryStream(Random(20_000, seed: 52)), new HdsPutOptions { Context = Alice }, Ct);
            await Server.KeyRingOnEveryZoneAsync(Bucket);
            foreach (var zone in MultisiteServer.Zones)
            {
                await Eventually.Async(async () => await Server.HeadAsync(zone, Bucket, "msa/ryw/deleted.bin", v1.VersionId) is not null, TimeSpan.FromSeconds(60), $"v1 on {zone}");
            }

            await MultisiteServer.GatewayAsync("pause-sync", "z2");
            await MultisiteServer.GatewayAsync("pause-sync", "z3");
            await client.DeleteAsync("ryw/deleted.bin", new HdsRequestOptions { Context = Alice }, Ct); // a delete marker on z1 only

            z1Down = true;
            await z1.DisposeAsync(); // reads fail over to z2, whose latest is still v1
            if (!readYourWrites)
            {
                await using var stale = await client.GetAsync("ryw/deleted.bin", new HdsGetOptions { Context = Alice }, Ct);
                Assert.Equal(v1.VersionId, stale.Properties.VersionId);
                return;
            }

            await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => client.GetAsync("ryw/deleted.bin", new HdsGetOptions { Context = Alice }, Ct));
            await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => client.GetPropertiesAsync("ryw/deleted.bin", options: new HdsVersionOptions { Context = Alice }, cancellationToken: Ct));
            await using var byId = await client.GetAsync("ryw/deleted.bin", new HdsGetOptions { Context = Alice, VersionId = v1.VersionId }, Ct); // the version itself stays readable
            Assert.Equal(v1.VersionId, byId.Properties.VersionId);
        }
        finally
        {
            await MultisiteServer.GatewayAsync("resume-sync", "z2");
            await MultisiteServer.GatewayAsync("resume-sync", "z3");
            if (!z1Down)
            {
                await z1.DisposeAsync();
            }
        }
    }

    private HdsStorageClient Client(FaultProxy z1, bool readYourWrites)
    {
        var options = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        options.S3!.Sites.Clear();
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z1", ServiceUrl = z1.Url, Priority = 0 });
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z2", ServiceUrl = Server.Endpoint("z2"), Priority = 1 });
        options.S3.Sites.Add(new HdsSiteOptions { Name = "z3", ServiceUrl = Server.Endpoint("z3"), Priority = 2 });
        options.S3.HealthProbeInterval = TimeSpan.Zero;
        options.S3.ReplicationLagTimeout = TimeSpan.FromSeconds(3);
        options.S3.ReadYourWrites = readYourWrites;
        TestCertificates.Apply(options);
        return new HdsStorageClient(options);
    }

    private async Task RunAsync(FaultProxy z1, Action markDown, bool readYourWrites)
    {
        await using var client = Client(z1, readYourWrites);

        var first = Random(20_000, seed: 50);
        var v1 = await client.PutAsync("ryw/doc.bin", new MemoryStream(first), new HdsPutOptions { Context = Alice }, Ct);
        await Server.KeyRingOnEveryZoneAsync(Bucket);
        foreach (var zone in MultisiteServer.Zones)
        {
            await Eventually.Async(async () => await Server.HeadAsync(zone, Bucket, "msa/ryw/doc.bin", v1.VersionId) is not null, TimeSpan.FromSeconds(60), $"v1 on {zone}");
        }

        await MultisiteServer.GatewayAsync("pause-sync", "z2");
        await MultisiteServer.GatewayAsync("pause-sync", "z3");
        var second = Random(20_000, seed: 51);
        var v2 = await client.PutAsync("ryw/doc.bin", new MemoryStream(second), new HdsPutOptions { Context = Alice }, Ct);
        Assert.Null(await Server.HeadAsync("z2", Bucket, "msa/ryw/doc.bin", v2.VersionId)); // z2 lags: its latest is v1

        markDown();
        await z1.DisposeAsync(); // z1 unreachable (connection refused): reads fail over to z2
        if (!readYourWrites)
        {
            // Without the setting, the lagging zone's older version comes back as "latest": what the setting prevents.
            await using var stale = await client.GetAsync("ryw/doc.bin", new HdsGetOptions { Context = Alice }, Ct);
            Assert.Equal(v1.VersionId, stale.Properties.VersionId);
            return;
        }

        var error = await Assert.ThrowsAsync<HdsNotReplicatedException>(() => client.GetAsync("ryw/doc.bin", new HdsGetOptions { Context = Alice }, Ct));
        Output.WriteLine(error.Message);

        await MultisiteServer.GatewayAsync("resume-sync", "z3");
        await Eventually.Async(async () => await Server.HeadAsync("z3", Bucket, "msa/ryw/doc.bin", v2.VersionId) is not null, TimeSpan.FromSeconds(60), "v2 on z3");
        await using var download = await client.GetAsync("ryw/doc.bin", new HdsGetOptions { Context = Alice }, Ct);
        Assert.Equal(v2.VersionId, download.Properties.VersionId);
        Assert.Equal(second, await ReadAllAsync(download.Content));
        var properties = await client.GetPropertiesAsync("ryw/doc.bin", options: new HdsVersionOptions { Context = Alice }, cancellationToken: Ct);
        Assert.Equal(v2.VersionId, properties.VersionId);
    }
}
