using System.Collections.Concurrent;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Hds.Storage.Keys;
using Hds.Storage.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.DependencyInjection;

/// <summary>
/// <c>UseKeyProvider&lt;T&gt;()</c>, <c>UseAuditSink&lt;T&gt;()</c> and <c>UseAuthorizationPolicy&lt;T&gt;()</c>: the extension point
/// is built by the container, with its own dependencies, and the registered client uses it.
/// </summary>
public sealed class BuilderExtensionPointTests : IDisposable
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-di-use-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HdsAccessContext Agent => new("agent-4711", "msa", "care");

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            foreach (var file in Directory.EnumerateFiles(_store, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task The_authorization_policy_is_built_by_the_container_and_decides()
    {
        var services = new ServiceCollection().AddSingleton<RightsService>();
        services.AddHdsStorage(o => o.Local = new HdsLocalStorageOptions { Path = _store }).UseAuthorizationPolicy<RightsPolicy>();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<HdsStorageClient>();

        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.PutAsync("a.txt", new MemoryStream([1]), new HdsPutOptions { Context = Agent }, Ct));

        Assert.Contains(HdsOperation.Put, provider.GetRequiredService<RightsService>().Asked);
        Assert.Same(provider.GetRequiredService<RightsPolicy>(), provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<HdsStorageOptions>>().Value.Authorization.Policy);
    }

    [Fact]
    public async Task The_audit_sink_is_built_by_the_container_and_receives_the_records()
    {
        var services = new ServiceCollection().AddSingleton<RecordStore>();
        services.AddHdsStorage(o => o.Local = new HdsLocalStorageOptions { Path = _store }).UseAuditSink<StoreSink>();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<HdsStorageClient>();

        await client.PutAsync("a.txt", new MemoryStream([1]), new HdsPutOptions { Context = Agent }, Ct);

        var record = Assert.Single(provider.GetRequiredService<RecordStore>().Records, r => r.Operation == HdsOperation.Put);
        Assert.Equal("agent-4711", record.ActorId);
    }

    [Fact]
    public async Task The_key_provider_is_built_by_the_container_and_wraps_every_data_key()
    {
        var services = new ServiceCollection().AddSingleton(new TestKeyProvider("hsm-kek-1"));
        services.AddHdsStorage(o => o.Local = new HdsLocalStorageOptions { Path = _store }).UseKeyProvider<CountingKeyProvider>();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<HdsStorageClient>();

        var receipt = await client.PutAsync("a.txt", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Agent }, Ct);
        await using var download = await client.GetAsync("a.txt", new HdsGetOptions { Context = Agent, VersionId = receipt.VersionId }, Ct);
        var copy = new MemoryStream();
        await download.Content.CopyToAsync(copy, Ct);

        Assert.Equal("hsm-kek-1", receipt.KeyId);
        Assert.Equal([1, 2, 3], copy.ToArray());
        var counting = provider.GetRequiredService<CountingKeyProvider>();
        Assert.Equal((1, 1), (counting.Wrapped, counting.Unwrapped));
    }

    [Fact]
    public void An_extension_point_registered_before_is_the_one_used()
    {
        var mine = new RightsPolicy(new RightsService());
        var services = new ServiceCollection().AddSingleton(mine);
        services.AddHdsStorage(o => o.Local = new HdsLocalStorageOptions { Path = _store }).UseAuthorizationPolicy<RightsPolicy>();
        using var provider = services.BuildServiceProvider();

        Assert.Same(mine, provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<HdsStorageOptions>>().Value.Authorization.Policy);
    }

    private sealed class RightsService
    {
        public ConcurrentBag<HdsOperation> Asked { get; } = [];
    }

    private sealed class RightsPolicy(RightsService rights) : HdsAuthorizationPolicy
    {
        public override ValueTask<HdsAuthorizationDecision> AuthorizeAsync(HdsAuthorizationRequest request, CancellationToken cancellationToken)
        {
            rights.Asked.Add(request.Operation);
            return ValueTask.FromResult(HdsAuthorizationDecision.Deny("rights-service-refused"));
        }
    }

    private sealed class RecordStore
    {
        public ConcurrentQueue<HdsAuditRecord> Records { get; } = new();
    }

    private sealed class StoreSink(RecordStore store) : HdsAuditSink
    {
        public override ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken)
        {
            store.Records.Enqueue(record);
            return ValueTask.FromResult(record);
        }
    }

    private sealed class CountingKeyProvider(TestKeyProvider inner) : HdsKeyEncryptionKeyProvider
    {
        public int Wrapped { get; private set; }

        public int Unwrapped { get; private set; }

        public override ValueTask<HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken)
        {
            Wrapped++;
            return inner.WrapDataKeyAsync(dataKey, cancellationToken);
        }

        public override ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken)
        {
            Unwrapped++;
            return inner.UnwrapDataKeyAsync(keyId, wrappedDataKey, cancellationToken);
        }
    }
}
