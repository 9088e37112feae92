using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Contract;

/// <summary>
/// The behaviour every backend must have. Runs unchanged against the embedded local store and the real Ceph RGW:
/// a test that passes on one and fails on the other is a bug in one of them.
/// </summary>
public abstract class StorageContractTests : IAsyncLifetime
{
    protected static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing") { Role = "agent" };
    protected static readonly HdsAccessContext OtherTenant = new("agent-0042", "sncf", "claim-processing");

    /// <summary>Legal holds and retention extensions need the role "legal" and their own purpose (docs/security.md, rights model).</summary>
    protected static readonly HdsAccessContext LegalHold = new("legal-3", "msa", HdsAuthorizationOptions.LegalHoldPurpose) { Role = HdsAuthorizationOptions.LegalRole };
    protected static readonly HdsAccessContext RetentionOfficer = LegalHold with { Purpose = HdsAuthorizationOptions.RetentionPurpose };

    private StorageTarget? _target;
    private HdsStorageClient? _client;

    protected StorageTarget Target => _target!;

    protected HdsStorageClient Client => _client!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _target = await CreateTargetAsync();
        _client = _target.CreateClient();
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }

    protected abstract Task<StorageTarget> CreateTargetAsync();

    protected static HdsPutOptions Put(string? retentionClass = null) => new() { Context = Alice, RetentionClass = retentionClass, ContentType = "application/pdf" };

    protected static HdsGetOptions Get(string? versionId = null, HdsAccessContext? context = null) => new() { Context = context ?? Alice, VersionId = versionId };

    protected static HdsRequestOptions As(HdsAccessContext context) => new() { Context = context };

    private static string Physical(string key) => Alice.Tenant + "/" + key;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData((5 * TestContent.MiB) + 1)]
    [InlineData(64 * TestContent.MiB)]
    public async Task Put_then_get_returns_the_same_bytes_and_a_locked_receipt(int size)
    {
        var data = TestContent.Random(size, seed: size);
        var receipt = await Client.PutAsync("docs/form.pdf", TestContent.NonSeekable(data), Put(), Ct);

        Assert.Equal(size, receipt.Size);
        Assert.Equal(TestContent.Sha256Hex(data), receipt.Sha256);
        Assert.Equal(HdsRetentionMode.Compliance, receipt.RetentionMode);
        Assert.True(receipt.RetainUntil > DateTimeOffset.UtcNow.AddYears(19));
        Assert.Equal("agent-4711", receipt.Writer);

        await using var download = await Client.GetAsync("docs/form.pdf", Get(receipt.VersionId), Ct);
        Assert.Equal(data, await TestContent.ReadAllAsync(download.Content));
        Assert.Equal(receipt.VersionId, download.Properties.VersionId);
    }

    [Theory]
    [InlineData(1000)]
    [InlineData((5 * TestContent.MiB) + 1)]
    public async Task Every_version_is_locked_as_seen_by_a_plain_client_multipart_included(int size)
    {
        var receipt = await Client.PutAsync("locked.bin", TestContent.NonSeekable(TestContent.Random(size)), Put(), Ct);

        var direct = await Target.ReadLockDirectlyAsync(Physical("locked.bin"), receipt.VersionId);
        Assert.Equal(HdsRetentionMode.Compliance, direct.Mode);
        Assert.NotNull(direct.RetainUntil);
        Assert.True(direct.RetainUntil >= receipt.RetainUntil.AddSeconds(-1), $"stored {direct.RetainUntil:O} < receipt {receipt.RetainUntil:O}");
        Assert.True(await Target.TryDestroyVersionDirectlyAsync(Physical("locked.bin"), receipt.VersionId), "a locked version was destroyed");
    }

    [Fact]
    public async Task A_second_put_makes_a_new_version_and_both_stay_readable_by_version_id()
    {
        var first = await Client.PutAsync("v.txt", new MemoryStream("one"u8.ToArray()), Put(), Ct);
        var second = await Client.PutAsync("v.txt", new MemoryStream("two"u8.ToArray()), Put(), Ct);

        Assert.NotEqual(first.VersionId, second.VersionId);
        await using (var latest = await Client.GetAsync("v.txt", Get(), Ct))
        {
            Assert.Equal("two"u8.ToArray(), await TestContent.ReadAllAsync(latest.Content));
        }

        await using (var old = await Client.GetAsync("v.txt", Get(first.VersionId), Ct))
        {
            Assert.Equal("one"u8.ToArray(), await TestContent.ReadAllAsync(old.Content));
        }

        var versions = await Client.GetVersionsAsync("v.txt", As(Alice), Ct).ToListAsync(Ct);
        Assert.Equal([second.VersionId, first.VersionId], versions.Select(v => v.VersionId));
        Assert.True(versions[0].IsLatest);
        Assert.False(versions[1].IsLatest);
    }

    [Fact]
    public async Task Delete_adds_a_delete_marker_and_keeps_every_version()
    {
        var receipt = await Client.PutAsync("gone.txt", new MemoryStream("kept"u8.ToArray()), Put(), Ct);

        var deleted = await Client.DeleteAsync("gone.txt", As(Alice), Ct);

        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.GetAsync("gone.txt", Get(), Ct));
        await using (var old = await Client.GetAsync("gone.txt", Get(receipt.VersionId), Ct))
        {
            Assert.Equal("kept"u8.ToArray(), await TestContent.ReadAllAsync(old.Content));
        }

        var versions = await Client.GetVersionsAsync("gone.txt", As(Alice), Ct).ToListAsync(Ct);
        Assert.Equal(2, versions.Count);
        Assert.True(versions[0].IsDeleteMarker);
        Assert.Equal(deleted.DeleteMarkerVersionId, versions[0].VersionId);
        Assert.DoesNotContain(versions, v => v.IsDeleteMarker && v.VersionId == receipt.VersionId);
    }

    [Fact]
    public async Task Delete_of_a_missing_key_is_not_found_and_adds_nothing()
    {
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.DeleteAsync("never.txt", As(Alice), Ct));
        Assert.Empty(await Client.GetVersionsAsync("never.txt", As(Alice), Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task Shortening_retention_is_refused_and_extending_is_applied()
    {
        var receipt = await Client.PutAsync("r.txt", new MemoryStream("x"u8.ToArray()), Put(), Ct);

        await Assert.ThrowsAsync<HdsObjectLockedException>(() =>
            Client.ExtendRetentionAsync("r.txt", receipt.RetainUntil.AddDays(-1), new HdsVersionOptions { VersionId = receipt.VersionId, Context = As(RetentionOfficer).Context }, Ct));
        var unchanged = await Target.ReadLockDirectlyAsync(Physical("r.txt"), receipt.VersionId);
        Assert.True(unchanged.RetainUntil >= receipt.RetainUntil.AddSeconds(-1));

        var later = receipt.RetainUntil.AddDays(30);
        var extended = await Client.ExtendRetentionAsync("r.txt", later, new HdsVersionOptions { VersionId = receipt.VersionId, Context = As(RetentionOfficer).Context }, Ct);
        Assert.True(extended.Retention.RetainUntil >= later.AddSeconds(-1));
        var direct = await Target.ReadLockDirectlyAsync(Physical("r.txt"), receipt.VersionId);
        Assert.True(direct.RetainUntil >= later.AddSeconds(-1));
    }

    [Fact]
    public async Task Legal_hold_blocks_destruction_after_retention_expired()
    {
        var receipt = await Client.PutAsync("held.txt", new MemoryStream("x"u8.ToArray()), Put(ContractDefaults.ShortClass), Ct);
        var held = await Client.SetLegalHoldAsync("held.txt", true, new HdsVersionOptions { VersionId = receipt.VersionId, Context = As(LegalHold).Context }, Ct);
        Assert.True(held.Retention.LegalHold);

        // Let the 2-second retention expire: only the legal hold protects the version now.
        await Task.Delay(TimeSpan.FromSeconds(3), Ct);
        Assert.True(await Target.TryDestroyVersionDirectlyAsync(Physical("held.txt"), receipt.VersionId), "legal hold did not block destruction");

        var released = await Client.SetLegalHoldAsync("held.txt", false, new HdsVersionOptions { VersionId = receipt.VersionId, Context = As(LegalHold).Context }, Ct);
        Assert.False(released.Retention.LegalHold);
        Assert.False(await Target.TryDestroyVersionDirectlyAsync(Physical("held.txt"), receipt.VersionId), "an expired, unheld version could not be purged");
    }

    [Fact]
    public async Task Head_returns_properties_with_retention_without_reading_content()
    {
        var receipt = await Client.PutAsync("h.pdf", new MemoryStream(new byte[1234]), Put(), Ct);

        var props = await Client.GetPropertiesAsync("h.pdf", new HdsVersionOptions { Context = As(Alice).Context }, Ct);

        Assert.Equal(receipt.VersionId, props.VersionId);
        Assert.Equal(receipt.StoredSize, props.StoredSize);
        Assert.Equal("application/pdf", props.ContentType);
        Assert.Equal(HdsRetentionMode.Compliance, props.Retention.Mode);
        Assert.Equal("default", props.RetentionClass);
        Assert.Equal("agent-4711", props.Writer);
    }

    [Fact]
    public async Task List_pages_through_a_prefix_in_key_order_within_the_tenant()
    {
        foreach (var i in Enumerable.Range(0, 5))
        {
            await Client.PutAsync($"batch/{i}.bin", new MemoryStream([(byte)i]), Put(), Ct);
        }

        await Client.PutAsync("other/x.bin", new MemoryStream([1]), Put(), Ct);

        var keys = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Client.ListPagesAsync("batch/", new HdsListOptions { Context = Alice, PageSize = 2, ContinuationToken = token }, Ct).FirstAsync(Ct);
            keys.AddRange(page.Items.Select(i => i.Key));
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"batch/{i}.bin"), keys);
        Assert.Equal(3, pages);
    }

    [Fact]
    public async Task Another_tenant_neither_reads_nor_lists_the_object()
    {
        var receipt = await Client.PutAsync("secret.pdf", new MemoryStream("phi"u8.ToArray()), Put(), Ct);

        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.GetAsync("secret.pdf", Get(receipt.VersionId, OtherTenant), Ct));
        var page = await Client.ListPagesAsync(null, new HdsListOptions { Context = OtherTenant }, Ct).FirstAsync(Ct);
        Assert.Empty(page.Items);
    }

    [Fact]
    public async Task A_write_without_access_context_is_refused_before_any_io()
    {
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.PutAsync("a.txt", new MemoryStream([1]), new HdsPutOptions(), Ct));
        Assert.Empty(await Client.ListAsync(null, new HdsListOptions { Context = Alice }, Ct).ToListAsync(Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("../escape")]
    [InlineData("a/../b")]
    [InlineData("/abs")]
    [InlineData("ctl\u0001char")]
    [InlineData("back\\slash")]
    [InlineData("_hds/keys/forged")]
    [InlineData("trailing/")]
    public async Task Bad_keys_are_refused_and_nothing_is_written(string key)
    {
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => Client.PutAsync(key, new MemoryStream([1]), Put(), Ct));
        Assert.Empty(await Client.ListAsync(null, new HdsListOptions { Context = Alice }, Ct).ToListAsync(Ct));
    }

    [Fact]
    public async Task Too_long_key_is_refused()
    {
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => Client.PutAsync(new string('k', 901), new MemoryStream([1]), Put(), Ct));
    }

    [Fact]
    public async Task Bad_keys_are_refused_before_the_bucket_is_even_checked()
    {
        await using var unusable = await Target.CreateNonCompliantClientAsync();
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => unusable.PutAsync("../x", new MemoryStream([1]), Put(), Ct));
    }

    [Fact]
    public async Task A_bucket_without_object_lock_is_refused_with_a_configuration_error()
    {
        await using var unusable = await Target.CreateNonCompliantClientAsync();

        var compliance = await unusable.CheckBucketAsync(As(Alice), Ct);
        Assert.False(compliance.IsCompliant);
        Assert.False(compliance.ObjectLockEnabled);
        var error = await Assert.ThrowsAsync<HdsConfigurationException>(() => unusable.PutAsync("a.txt", new MemoryStream([1]), Put(), Ct));
        Assert.Contains("object lock", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_source_that_breaks_mid_upload_leaves_no_version_and_no_pending_upload()
    {
        await Assert.ThrowsAsync<IOException>(() => Client.PutAsync("broken.bin", new FailingStream((7 * TestContent.MiB) + 3), Put(), Ct));

        Assert.Empty(await Client.GetVersionsAsync("broken.bin", As(Alice), Ct).ToListAsync(Ct));
        Assert.Equal(0, await Target.PendingMultipartUploadsAsync());

        // The caller's stream failed, not the storage: the trail says so (issue 18: a 413 upload was recorded as "unexpected").
        var auditor = new HdsAccessContext("auditor-1", Alice.Tenant, HdsAuthorizationOptions.AuditPurpose) { Role = HdsAuthorizationOptions.AuditorRole };
        var records = await Client.GetRecentAuditRecordsAsync(10, As(auditor), Ct);
        Assert.Contains(records, r => r.Operation == HdsOperation.Put && r.Key == "broken.bin" && r.Reason == "content-unreadable");
    }

    [Fact]
    public async Task A_tampered_stored_object_fails_verification_on_read()
    {
        var data = TestContent.Random(10_000);
        var receipt = await Client.PutAsync("t.bin", new MemoryStream(data), Put(), Ct);
        var stored = await Target.ReadStoredBytesDirectlyAsync(Physical("t.bin"), receipt.VersionId);
        stored[stored.Length / 2] ^= 0x01;
        await Target.WriteVersionDirectlyAsync(Physical("t.bin"), receipt.VersionId, stored);

        await using var download = await Client.GetAsync("t.bin", Get(), Ct);
        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestContent.ReadAllAsync(download.Content));
        await Assert.ThrowsAsync<HdsIntegrityException>(() => Client.VerifyAsync("t.bin", new HdsVerifyOptions { Context = Alice }, Ct));
    }

    [Fact]
    public async Task Verify_checks_a_version_against_its_receipt()
    {
        var receipt = await Client.PutAsync("rcpt.bin", new MemoryStream(TestContent.Random(3000)), Put(), Ct);

        var ok = await Client.VerifyAsync("rcpt.bin", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
        Assert.Equal(receipt.Sha256, ok.Sha256);

        var forged = receipt with { Sha256 = new string('0', 64) };
        await Assert.ThrowsAsync<HdsIntegrityException>(() => Client.VerifyAsync("rcpt.bin", new HdsVerifyOptions { Context = Alice, Receipt = forged }, Ct));
    }

    [Fact]
    public async Task Unknown_version_is_not_found()
    {
        await Client.PutAsync("k.txt", new MemoryStream([1]), Put(), Ct);
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.GetAsync("k.txt", Get("0000000000000000aaaaaaaaaaaaaaaa"), Ct));
    }
}

public sealed class LocalStoreContractTests : StorageContractTests
{
    protected override Task<StorageTarget> CreateTargetAsync() => Task.FromResult<StorageTarget>(new LocalTarget());
}

public sealed class RgwContractTests : StorageContractTests
{
    [Fact]
    public async Task A_threshold_larger_than_the_part_size_still_stores_every_byte()
    {
        await using var client = Target.CreateClient(o => o.S3!.MultipartThreshold = 12 * TestContent.MiB);
        var data = TestContent.Random((13 * TestContent.MiB) + 5, seed: 13);

        var receipt = await client.PutAsync("big.bin", TestContent.NonSeekable(data), Put(), Ct);

        await using var download = await client.GetAsync("big.bin", Get(receipt.VersionId), Ct);
        Assert.Equal(TestContent.Sha256Hex(data), TestContent.Sha256Hex(await TestContent.ReadAllAsync(download.Content)));
        Assert.Equal(HdsRetentionMode.Compliance, (await Target.ReadLockDirectlyAsync("msa/big.bin", receipt.VersionId)).Mode);
    }

    protected override async Task<StorageTarget> CreateTargetAsync()
    {
        var target = new RgwTarget(await S3Server.GetAsync());
        await target.InitializeAsync();
        return target;
    }
}
