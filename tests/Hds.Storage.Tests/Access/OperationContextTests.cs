using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Hds.Storage.Tests.TestSupport;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Access;

/// <summary>
/// The operation is passed explicitly (issue 15): every storage call made for a client operation receives that operation, with
/// its validated context; the key ring's own loads and key creation and the audit uploads receive their system operations; no
/// call runs without one. (The S3 backend turns it into each request's context headers: S3ContextHeadersTests, against RGW.)
/// </summary>
public sealed class OperationContextTests : IDisposable
{
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing") { CorrelationId = "corr-1" };
    private readonly TestStore _store = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Every_backend_call_receives_the_operation_it_is_made_for()
    {
        CountingBackend? backend = null;
        var options = _store.Options(TestCertificates.Operational);
        string? node;
        await using (var client = new HdsStorageClient(options, _store.Time, null, inner => backend = new CountingBackend(inner)))
        {
            node = client.AuditNode;
            var receipt = await client.PutAsync("doc", new MemoryStream(Codec.Pattern(10_000)), new HdsPutOptions { Context = Alice }, Ct);
            await using (var download = await client.GetAsync("doc", new HdsGetOptions { Context = Alice, VersionId = receipt.VersionId }, Ct))
            {
                await download.Content.CopyToAsync(Stream.Null, Ct);
            }

            await client.VerifyAsync("doc", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct); // reads through Get's core
            await client.RotateKeyAsync(TestStore.Keys(), Ct);
            await client.FlushAuditAsync(Ct);
        }

        var calls = backend!.Calls;
        Assert.All(calls, c => Assert.NotNull(c.Operation));

        // The document's calls: each for the operation that made it, under the caller's context, named by the client's audit node.
        var document = calls.Where(c => c.Key.StartsWith("msa/", StringComparison.Ordinal)).ToList();
        Assert.Equal(["Put", "Get", "Verify"], document.Select(c => c.Operation!.Name).Distinct());
        Assert.All(document, c => Assert.Same(Alice, c.Operation!.Access));
        Assert.All(document, c => Assert.Equal(node, c.Operation!.Node));
        Assert.Contains(document, c => c.Verb == "GetAsync" && c.Operation!.Operation == HdsOperation.Verify); // no nested Get operation

        // The key ring: its own load and the key creation of the first put as its system operation; the rotation as the officer's.
        var keys = calls.Where(c => c.Key.StartsWith("_hds/keys/", StringComparison.Ordinal)).ToList();
        Assert.Contains(keys, c => c.Verb == "PutAsync" && c.Operation!.Name == "KeyRing" && c.Operation.Access.ActorId == "hds-keys");
        Assert.Contains(keys, c => c.Verb == "PutAsync" && c.Operation!.Operation == HdsOperation.RotateKey && c.Operation.Access.ActorId == "officer-1");
        Assert.All(keys, c => Assert.Contains(c.Operation!.Name, new[] { "KeyRing", "RotateKey" }));

        // The audit trail's uploads: the node's system operation.
        var audit = calls.Where(c => c.Key.StartsWith("_hds/audit/", StringComparison.Ordinal)).ToList();
        Assert.Contains(audit, c => c.Verb == "PutAsync");
        Assert.All(audit, c => Assert.Equal(("AuditUpload", "hds-audit", node, (HdsOperation?)null), (c.Operation!.Name, c.Operation.Access.ActorId, c.Operation.Node, c.Operation.Operation)));

        // The bucket check runs once, for the first operation that needed it.
        Assert.Equal("Put", Assert.Single(calls, c => c.Verb == "CheckBucketAsync").Operation!.Name);
    }
}
