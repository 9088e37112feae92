using CsCheck;
using Hds.Storage.Models;
using Hds.Storage.Tests.TestSupport;
using static Hds.Storage.Tests.TestSupport.TestCertificates;

// Each test runs in well under a second against a temporary directory: forwarding the test cancellation token adds noise, not safety.
#pragma warning disable xUnit1051

namespace Hds.Storage.Tests;

public sealed class HdsStorageClientEncryptionTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Put_stores_only_ciphertext_and_get_returns_the_content()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var content = System.Text.Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("Diagnostic: confidential health data. ", 2000)));
        var receipt = await client.PutAsync("doc", new MemoryStream(content), TestStore.Put());

        var stored = await File.ReadAllBytesAsync(_store.DataFile("tenant-a/doc"));
        Assert.Equal(-1, stored.AsSpan().IndexOf("confidential"u8));
        Assert.Equal(receipt.StoredSize, stored.Length);
        Assert.Equal(content.Length, receipt.Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), receipt.Sha256);
        Assert.Equal(content, await TestStore.ReadAllAsync(client, "doc", TestStore.Get()));
        var properties = await client.GetPropertiesAsync("doc", options: new HdsVersionOptions { Context = TestStore.Put().Context });
        Assert.Equal(2, properties.FormatVersion);
    }

    [Fact]
    public async Task Disposing_a_client_twice_in_any_order_does_nothing_the_second_time()
    {
        // `await using` around a client that the code also disposes explicitly: the second call must not throw (it once threw
        // ObjectDisposedException from the audit sink's cancellation source).
        var client = _store.Client(Operational);
        await client.PutAsync("doc", new MemoryStream(Codec.Pattern(100)), TestStore.Put());
        await client.DisposeAsync();
        await client.DisposeAsync();

        // Disposal is asynchronous only (issue 15: a synchronous Dispose blocked on the audit upload): concurrent calls too.
        var other = _store.Client(Operational);
        await Task.WhenAll(other.DisposeAsync().AsTask(), other.DisposeAsync().AsTask());
        Assert.False(typeof(IDisposable).IsAssignableFrom(typeof(HdsStorageClient)));
    }

    [Fact]
    public async Task Ranged_gets_equal_slices_of_the_content()
    {
        await using var client = _store.Client(Operational);
        var content = Codec.Pattern((7 * 4096) + 123);
        var receipt = await client.PutAsync("doc", new MemoryStream(content), TestStore.Put());
        await Gen.Select(Gen.Int[0, content.Length], Gen.Int[0, 3 * 4096]).SampleAsync(async (offset, length) =>
        {
            var options = TestStore.Get(versionId: receipt.VersionId);
            options.Range = new HdsContentRange(offset, length);
            Assert.Equal(content.AsSpan(offset, Math.Min(length, content.Length - offset)).ToArray(), await TestStore.ReadAllAsync(client, "doc", options));
        }, iter: 40);

        var tail = TestStore.Get();
        tail.Range = new HdsContentRange(content.Length - 10);
        await using var download = await client.GetAsync("doc", tail);
        Assert.Equal(content.Length, download.Properties.Size);
    }

    [Fact]
    public async Task Verify_checks_the_object_against_its_receipt_and_detects_tampering()
    {
        await using var client = _store.Client(Operational);
        var receipt = await client.PutAsync("doc", new MemoryStream(Codec.Pattern(20_000)), TestStore.Put());
        var result = await client.VerifyAsync("doc", new HdsVerifyOptions { Context = TestStore.Context(), Receipt = receipt });
        Assert.Equal(receipt.Sha256, result.Sha256);

        await Assert.ThrowsAsync<HdsIntegrityException>(() =>
            client.VerifyAsync("doc", new HdsVerifyOptions { Context = TestStore.Context(), Receipt = receipt with { Sha256 = new string('0', 64) } }));

        var file = _store.DataFile("tenant-a/doc");
        var bytes = await File.ReadAllBytesAsync(file);
        bytes[^30] ^= 0x40;
        await File.WriteAllBytesAsync(file, bytes);
        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.VerifyAsync("doc", new HdsVerifyOptions { Context = TestStore.Context() }));
    }

    [Theory]
    [InlineData("tenant-b", "doc")]
    [InlineData("tenant-a", "other")]
    public async Task An_object_swapped_with_another_key_or_tenant_at_the_storage_is_refused(string tenant, string key)
    {
        await using var client = _store.Client(Operational);
        var content = Codec.Pattern(5000);
        await client.PutAsync("doc", new MemoryStream(content), TestStore.Put());
        await client.PutAsync(key, new MemoryStream(Codec.Pattern(5000, 2)), TestStore.Put(tenant));

        // The storage administrator copies tenant-a/doc over the other object: same key ring, same size, still refused.
        File.Copy(_store.DataFile("tenant-a/doc"), _store.DataFile($"{tenant}/{key}"), overwrite: true);
        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(client, key, TestStore.Get(tenant)));
        var ranged = TestStore.Get(tenant);
        ranged.Range = new HdsContentRange(0, 10);
        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(client, key, ranged));
    }

    [Fact]
    public async Task A_truncated_object_fails_at_the_end_after_releasing_only_verified_segments()
    {
        await using var client = _store.Client(Operational);
        var content = Codec.Pattern(5 * 4096);
        await client.PutAsync("doc", new MemoryStream(content), TestStore.Put());
        var file = _store.DataFile("tenant-a/doc");
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..^100]);

        await using var download = await client.GetAsync("doc", TestStore.Get());
        var released = new MemoryStream();
        var buffer = new byte[1000];
        var error = await Record.ExceptionAsync(async () =>
        {
            int n;
            while ((n = await download.Content.ReadAsync(buffer)) > 0)
            {
                released.Write(buffer, 0, n);
            }
        });
        Assert.IsType<HdsIntegrityException>(error);
        Assert.True(released.Length <= 4 * 4096);
        Assert.Equal(content.AsSpan(0, (int)released.Length).ToArray(), released.ToArray());
    }

    [Fact]
    public async Task Empty_content_round_trips()
    {
        await using var client = _store.Client(Operational);
        var receipt = await client.PutAsync("empty", new MemoryStream(), TestStore.Put());
        Assert.Equal(0, receipt.Size);
        Assert.Empty(await TestStore.ReadAllAsync(client, "empty", TestStore.Get()));
    }
}
