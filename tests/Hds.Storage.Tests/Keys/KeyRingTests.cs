using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Backends.Local;
using Hds.Storage.Encryption;
using Hds.Storage.Keys;
using Hds.Storage.Retention;
using Hds.Storage.Tests.TestSupport;
using static Hds.Storage.Tests.TestSupport.TestCertificates;
using Hds.Storage.Models;

// Each test runs in well under a second against a temporary directory: forwarding the test cancellation token adds noise, not safety.
#pragma warning disable xUnit1051

namespace Hds.Storage.Tests.Keys;

public sealed class KeyRingTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly byte[] _content = Codec.Pattern(10_000);

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task First_write_creates_a_key_stored_as_cms_enveloped_data_to_every_certificate_and_locked()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var receipt = await client.PutAsync("doc", new MemoryStream(_content), TestStore.Put());

        var entries = await client.ListKeysAsync(TestStore.Keys());
        var entry = Assert.Single(entries);
        Assert.Equal(entry.Id, receipt.KeyId);
        Assert.Equal(2, receipt.FormatVersion);
        Assert.True(entry.IsActiveAt(_store.Time.GetUtcNow()));
        Assert.Equal(2, entry.RecipientThumbprints.Count);

        var backend = new LocalBackend(new HdsLocalStorageOptions { Path = _store.Path }, _store.Time);
        var physical = KeyRingStore.PhysicalKey(entry.Id);
        var head = await backend.HeadAsync(physical, null, CancellationToken.None);
        Assert.Equal(HdsRetentionMode.Compliance, head.Retention.Mode);
        Assert.True(head.Retention.RetainUntil > entry.ExpiresAt.AddYears(19));

        var cms = new EnvelopedCms();
        cms.Decode(await File.ReadAllBytesAsync(_store.DataFile(physical)));
        Assert.Equal(2, cms.RecipientInfos.Count);
        Assert.Equal("2.16.840.1.101.3.4.1.42", cms.ContentEncryptionAlgorithm.Oid.Value);
        await Assert.ThrowsAsync<HdsObjectLockedException>(() => backend.DeleteVersionAsync(physical, head.VersionId, CancellationToken.None));
    }

    [Fact]
    public async Task Another_process_reads_with_the_persisted_key_ring()
    {
        await using (var writer = _store.Client(Operational, PublicOnly(Escrow)))
        {
            await writer.PutAsync("doc", new MemoryStream(_content), TestStore.Put());
        }

        await using var reader = _store.Client(Operational, PublicOnly(Escrow));
        Assert.Equal(_content, await TestStore.ReadAllAsync(reader, "doc", TestStore.Get()));
    }

    [Fact]
    public async Task Escrow_certificate_with_the_operational_public_part_decrypts_everything_when_the_operational_private_key_is_lost()
    {
        await using (var writer = _store.Client(Operational, PublicOnly(Escrow)))
        {
            await writer.PutAsync("doc-1", new MemoryStream(_content), TestStore.Put());
            await writer.RotateKeyAsync(TestStore.Keys());
            await writer.PutAsync("doc-2", new MemoryStream(_content), TestStore.Put("tenant-b"));
        }

        // Entries are signed by the operational certificate: its public part (not secret) is the trust anchor during recovery.
        await using var recovery = _store.Client(Escrow, PublicOnly(Operational));
        Assert.Equal(_content, await TestStore.ReadAllAsync(recovery, "doc-1", TestStore.Get()));
        Assert.Equal(_content, await TestStore.ReadAllAsync(recovery, "doc-2", TestStore.Get("tenant-b")));
        Assert.All(await recovery.ListKeysAsync(TestStore.Keys()), e => Assert.True(e.IsAvailable));
    }

    [Fact]
    public async Task Without_a_certificate_that_opens_the_key_ring_reads_fail_with_a_configuration_error()
    {
        await using (var writer = _store.Client(Operational))
        {
            await writer.PutAsync("doc", new MemoryStream(_content), TestStore.Put());
        }

        await using var stranger = _store.Client(Renewed);
        await Assert.ThrowsAsync<HdsConfigurationException>(() => TestStore.ReadAllAsync(stranger, "doc", TestStore.Get()));
        Assert.All(await stranger.ListKeysAsync(TestStore.Keys()), e => Assert.False(e.IsAvailable));
    }

    [Fact]
    public async Task Keys_rotate_automatically_when_their_lifetime_ends_and_old_objects_still_decrypt()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var first = await client.PutAsync("old", new MemoryStream(_content), TestStore.Put());
        _store.Time.Advance(TimeSpan.FromDays(31));
        var second = await client.PutAsync("new", new MemoryStream(_content), TestStore.Put());

        Assert.NotEqual(first.KeyId, second.KeyId);
        Assert.Equal(2, (await client.ListKeysAsync(TestStore.Keys())).Count);
        Assert.Equal(_content, await TestStore.ReadAllAsync(client, "old", TestStore.Get()));
        var verified = await client.VerifyAsync("old", new HdsVerifyOptions { Context = TestStore.Context(), Receipt = first });
        Assert.Equal(first.Sha256, verified.Sha256);
    }

    [Fact]
    public async Task Rotation_on_demand_makes_new_writes_use_the_new_key()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var before = await client.PutAsync("a", new MemoryStream(_content), TestStore.Put());
        _store.Time.Advance(TimeSpan.FromSeconds(1));
        var rotated = await client.RotateKeyAsync(TestStore.Keys());
        var after = await client.PutAsync("b", new MemoryStream(_content), TestStore.Put());

        Assert.NotEqual(before.KeyId, rotated.Id);
        Assert.Equal(rotated.Id, after.KeyId);
        Assert.Equal(_content, await TestStore.ReadAllAsync(client, "a", TestStore.Get()));
    }

    [Fact]
    public async Task Rewrap_to_a_renewed_certificate_keeps_objects_untouched_and_readable_with_the_new_certificate_only()
    {
        StorageReceiptPair written;
        await using (var client = _store.Client(Operational, PublicOnly(Escrow)))
        {
            var a = await client.PutAsync("a", new MemoryStream(_content), TestStore.Put());
            await client.RotateKeyAsync(TestStore.Keys());
            var b = await client.PutAsync("b", new MemoryStream(_content), TestStore.Put());
            written = new StorageReceiptPair(a, b);
        }

        var objectBytes = await File.ReadAllBytesAsync(_store.DataFile("tenant-a/a"));
        await using (var migration = _store.Client(Operational, Renewed, PublicOnly(Escrow)))
        {
            var rewrapped = await migration.RewrapKeysAsync(TestStore.Keys());
            Assert.Equal(2, rewrapped.Count);
            Assert.All(rewrapped, e => Assert.Equal(3, e.RecipientThumbprints.Count));
            Assert.Empty(await migration.RewrapKeysAsync(TestStore.Keys())); // idempotent

            // The audit trail names the keys rewrapped (ids only).
            var records = await migration.GetRecentAuditRecordsAsync(10, TestStore.Auditor(Hds.Storage.HdsAuthorizationOptions.DefaultOperatingTenant));
            var audited = records.Where(r => r.Operation == Hds.Storage.Models.HdsOperation.RewrapKeys).Select(r => r.KeyId).ToList();
            Assert.Equal([string.Join(',', rewrapped.Select(e => e.Id)), null], audited);
        }

        // The old operational certificate is retired: the renewed one alone (plus the escrow's public part) reads everything.
        await using var renewed = _store.Client(Renewed, PublicOnly(Escrow));
        Assert.Equal(_content, await TestStore.ReadAllAsync(renewed, "a", TestStore.Get()));
        Assert.Equal(_content, await TestStore.ReadAllAsync(renewed, "b", TestStore.Get()));
        Assert.Equal(objectBytes, await File.ReadAllBytesAsync(_store.DataFile("tenant-a/a")));
        var versions = await renewed.GetVersionsAsync("a", TestStore.Put()).ToListAsync();
        Assert.Equal(written.A.VersionId, Assert.Single(versions).VersionId);
    }

    [Fact]
    public async Task Rewrap_refuses_to_change_anything_when_an_entry_cannot_be_opened()
    {
        await using (var client = _store.Client(Operational))
        {
            await client.PutAsync("a", new MemoryStream(_content), TestStore.Put());
        }

        await using var other = _store.Client(Renewed);
        await Assert.ThrowsAsync<HdsConfigurationException>(() => other.RewrapKeysAsync(TestStore.Keys()));
    }

    [Fact]
    public async Task A_revoked_key_is_refused_on_read_and_no_longer_used_for_writes()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var receipt = await client.PutAsync("a", new MemoryStream(_content), TestStore.Put());
        var revoked = await client.RevokeKeyAsync(receipt.KeyId!, TestStore.Keys());
        Assert.True(revoked.IsRevoked);

        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(client, "a", TestStore.Get()));
        var next = await client.PutAsync("b", new MemoryStream(_content), TestStore.Put());
        Assert.NotEqual(receipt.KeyId, next.KeyId);

        // Revocation is persisted: another process refuses too.
        await using var other = _store.Client(Operational);
        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(other, "a", TestStore.Get()));
        Assert.Equal(_content, await TestStore.ReadAllAsync(other, "b", TestStore.Get()));
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => other.RevokeKeyAsync("no-such-key", TestStore.Keys()));
    }

    [Fact]
    public async Task A_malformed_key_id_is_an_invalid_request_that_does_not_echo_it()
    {
        await using var client = _store.Client(Operational);

        var error = await Assert.ThrowsAsync<HdsInvalidRequestException>(() => client.RevokeKeyAsync("key\nDupont", TestStore.Keys()));

        Assert.DoesNotContain("Dupont", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_objects_costs_no_key_ring_access_once_the_ring_is_cached()
    {
        await using (var writer = _store.Client(Operational))
        {
            for (var i = 0; i < 3; i++)
            {
                await writer.PutAsync($"doc-{i}", new MemoryStream(_content), TestStore.Put());
            }
        }

        var options = _store.Options(Operational);
        var backend = new CountingBackend(new LocalBackend(options.Local!, _store.Time));
        using var ring = new KeyRing(new KeyRingStore(backend, [Operational], TimeSpan.FromDays(7305), _store.Time), TimeSpan.FromDays(30), _store.Time, null, null);
        await using var client = new HdsStorageClient(backend, new FormatV1(ring, 4096), options, _store.Time);

        Assert.Equal(_content, await TestStore.ReadAllAsync(client, "doc-0", TestStore.Get()));
        var afterFirst = backend.KeyRingReads;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(_content, await TestStore.ReadAllAsync(client, $"doc-{i}", TestStore.Get()));
        }

        Assert.Equal(1, afterFirst);
        Assert.Equal(afterFirst, backend.KeyRingReads);
    }

    [Fact]
    public async Task An_unknown_key_id_is_an_integrity_failure()
    {
        var other = new TestStore();
        try
        {
            await using (var foreign = other.Client(Operational))
            {
                await foreign.PutAsync("doc", new MemoryStream(_content), TestStore.Put());
            }

            await using var client = _store.Client(Operational);
            await client.PutAsync("doc", new MemoryStream(_content), TestStore.Put());

            // An object from another store (another key ring) planted under the same key.
            File.Copy(other.DataFile("tenant-a/doc"), _store.DataFile("tenant-a/doc"), overwrite: true);
            _store.Time.Advance(TimeSpan.FromMinutes(1));
            await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(client, "doc", TestStore.Get()));
        }
        finally
        {
            other.Dispose();
        }
    }

    [Fact]
    public void Ecdsa_and_short_rsa_certificates_are_refused_with_a_configuration_error()
    {
        var ec = _store.Options(CreateEcdsa("CN=ec"));
        Assert.Throws<HdsConfigurationException>(() => ec.Validate());
        var weak = _store.Options(CreateRsa("CN=weak", 1024));
        Assert.Throws<HdsConfigurationException>(() => weak.Validate());
    }

    [Fact]
    public void S3_options_without_certificates_or_provider_are_refused()
    {
        var options = new HdsStorageOptions { S3 = new() { ServiceUrl = new Uri("http://127.0.0.1:7480"), Bucket = "documents" } };
        var error = Assert.Throws<HdsConfigurationException>(() => options.Validate());
        // Said as settings (issue 18: no C# advice reaches operators), with the development way out.
        Assert.Contains("HdsStorage:Encryption:CertificateFiles (hds: --cert and --escrow-cert)", error.Message, StringComparison.Ordinal);
        Assert.Contains("embedded store (Local)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("HdsDevelopmentCertificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_embedded_store_without_certificates_uses_a_development_certificate_kept_in_the_store()
    {
        var options = _store.Options();
        options.Validate();
        var context = new Hds.Storage.HdsAccessContext("agent-1", "msa", "care");
        await using (var client = new HdsStorageClient(options))
        {
            await client.PutAsync("dev.txt", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = context }, TestContext.Current.CancellationToken);
        }

        var certificate = Assert.Single(Directory.GetFiles(Path.Combine(_store.Path, "development-certificate"), "*.pfx", SearchOption.AllDirectories));
        await using var reopened = new HdsStorageClient(_store.Options());
        await using var download = await reopened.GetAsync("dev.txt", new HdsGetOptions { Context = context }, TestContext.Current.CancellationToken);
        var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer, TestContext.Current.CancellationToken);
        Assert.Equal([1, 2, 3], buffer.ToArray());
        Assert.NotNull(certificate);
    }

    [Fact]
    public async Task Development_certificate_is_created_once_and_reloaded()
    {
        var first = HdsDevelopmentCertificate.CreateOrLoad(_store.Path);
        var second = HdsDevelopmentCertificate.CreateOrLoad(_store.Path);
        Assert.Equal(first.Thumbprint, second.Thumbprint);
        Assert.True(second.HasPrivateKey);
        Assert.Equal(3072, first.GetRSAPublicKey()!.KeySize);

        await using var client = _store.Client(second);
        await client.PutAsync("doc", new MemoryStream(_content), TestStore.Put());
        Assert.Equal(_content, await TestStore.ReadAllAsync(client, "doc", TestStore.Get()));
    }

    [Fact]
    public async Task Certificates_load_from_pfx_and_pem_files()
    {
        Directory.CreateDirectory(_store.Path);
        var pfx = Path.Combine(_store.Path, "op.pfx");
        await File.WriteAllBytesAsync(pfx, Operational.Export(X509ContentType.Pkcs12, "pw"));
        var pem = Path.Combine(_store.Path, "escrow.pem");
        await File.WriteAllTextAsync(pem, Escrow.ExportCertificatePem());

        var options = _store.Options();
        options.Encryption.CertificateFiles.Add(pfx);
        options.Encryption.CertificateFiles.Add(pem);
        options.Encryption.CertificatePassword = "pw";
        await using (var client = new HdsStorageClient(options, _store.Time, null))
        {
            await client.PutAsync("doc", new MemoryStream(_content), TestStore.Put());
            Assert.Equal(2, Assert.Single(await client.ListKeysAsync(TestStore.Keys())).RecipientThumbprints.Count);
        }

        await using var recovery = _store.Client(Escrow, PublicOnly(Operational));
        Assert.Equal(_content, await TestStore.ReadAllAsync(recovery, "doc", TestStore.Get()));
    }

    private sealed record StorageReceiptPair(Models.HdsStorageReceipt A, Models.HdsStorageReceipt B);
}
