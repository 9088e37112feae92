using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Keys;
using Hds.Storage.Retention;
using Hds.Storage.Tests.TestSupport;
using static Hds.Storage.Tests.TestSupport.TestCertificates;
using Hds.Storage.Models;

// Each test runs in well under a second against a temporary directory.
#pragma warning disable xUnit1051

namespace Hds.Storage.Tests.Keys;

/// <summary>
/// Someone able to write under "_hds/keys/" (a storage administrator, a stolen S3 key) but holding no private key. The key-ring
/// certificates are public, so EnvelopedData to them is easy to make: only the signature inside tells a genuine entry apart.
/// </summary>
public sealed class KeyRingForgeryTests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly byte[] _content = Codec.Pattern(10_000);

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Regression_planted_unsigned_key_ring_entry_is_refused_and_never_used_for_new_writes()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        await client.PutAsync("before", new MemoryStream(_content), TestStore.Put());

        // The attacker's entry activates later than the genuine one: before the fix it became the current key for new writes,
        // so the attacker (who chose the KEK) could decrypt every document written afterwards.
        var attackerKek = RandomNumberGenerator.GetBytes(32);
        var id = await PlantAsync(attackerKek, sign: null);
        _store.Time.Advance(KeyRing.RefreshInterval + TimeSpan.FromMinutes(1));

        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.PutAsync("after", new MemoryStream(_content), TestStore.Put()));
        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.ListKeysAsync(TestStore.Keys()));
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => client.GetPropertiesAsync("after", options: new HdsVersionOptions { Context = TestStore.Put().Context }));
        Assert.StartsWith("2", id, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_ring_entry_signed_by_a_foreign_certificate_is_refused()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        await client.PutAsync("before", new MemoryStream(_content), TestStore.Put());
        using var attacker = CreateRsa("CN=hds-test-operational");
        await PlantAsync(RandomNumberGenerator.GetBytes(32), sign: attacker);
        _store.Time.Advance(KeyRing.RefreshInterval + TimeSpan.FromMinutes(1));

        var error = await Assert.ThrowsAsync<HdsIntegrityException>(() => client.PutAsync("after", new MemoryStream(_content), TestStore.Put()));
        Assert.Contains("failed verification", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Regression_issue_14_re_storing_the_entry_before_its_revocation_leaves_the_key_revoked_and_unused()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var receipt = await client.PutAsync("a", new MemoryStream(_content), TestStore.Put());
        var backend = Backend();
        var entryKey = KeyRingStore.PhysicalKey(receipt.KeyId!);
        var beforeRevocation = await ReadAsync(backend, entryKey);
        await client.RevokeKeyAsync(receipt.KeyId!, TestStore.Keys());

        // The attacker stores the older, validly signed version again: it is now the newest version of the entry.
        await WriteAsync(backend, entryKey, beforeRevocation);
        Assert.Equal(beforeRevocation, await ReadAsync(backend, entryKey));

        await using var reader = _store.Client(Operational, PublicOnly(Escrow));
        var error = await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(reader, "a", TestStore.Get()));
        Assert.Contains("rolled back", error.Message, StringComparison.Ordinal);
        var next = await reader.PutAsync("b", new MemoryStream(_content), TestStore.Put());
        Assert.NotEqual(receipt.KeyId, next.KeyId);
        var listed = Assert.Single(await reader.ListKeysAsync(TestStore.Keys()), k => k.Id == receipt.KeyId);
        Assert.True(listed.IsRevoked);
    }

    [Fact]
    public async Task Every_way_a_key_ring_entry_fails_gives_the_same_error_without_inner_detail()
    {
        // No padding-oracle signal: a bad CBC padding, a bad signature, a foreign signer, an unsigned payload and another id all
        // read the same.
        using var foreign = CreateRsa("CN=hds-test-operational");
        var messages = new List<string>();
        foreach (var variant in new[] { "flip", "unsigned", "foreign", "truncated" })
        {
            using var store = new TestStore();
            await using (var writer = store.Client(Operational, PublicOnly(Escrow)))
            {
                await writer.PutAsync("a", new MemoryStream(_content), TestStore.Put());
            }

            var backend = new LocalBackend(new HdsLocalStorageOptions { Path = store.Path }, store.Time);
            var key = Assert.Single((await backend.ListAsync(KeyRingStore.Prefix, null, 10, CancellationToken.None)).Items).Key;
            var id = key[KeyRingStore.Prefix.Length..^4];
            var bytes = await ReadAsync(backend, key);
            switch (variant)
            {
                case "flip":
                    bytes[^5] ^= 0x01;
                    break;
                case "truncated":
                    bytes = bytes[..^20];
                    break;
                default:
                    bytes = Envelope(KeyRingPayload.Encode(
                        new HdsKeyRingEntry { Id = id, CreatedAt = store.Time.GetUtcNow(), ActivatesAt = store.Time.GetUtcNow(), ExpiresAt = store.Time.GetUtcNow().AddDays(9) },
                        RandomNumberGenerator.GetBytes(32)), variant == "foreign" ? foreign : null);
                    break;
            }

            await WriteAsync(backend, key, bytes);
            await using var reader = store.Client(Operational, PublicOnly(Escrow));
            var error = await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(reader, "a", TestStore.Get()));
            Assert.Null(error.InnerException);
            messages.Add(error.Message.Replace(id, "ID", StringComparison.Ordinal));
        }

        Assert.Single(messages.Distinct(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("../../_hds/keys/<b>X</b>")]
    [InlineData("20261201T000000Z-0123456789AB")] // capitals: not an id this key ring creates
    [InlineData("not-a-key")]
    public async Task A_key_id_that_is_not_a_key_ring_id_is_refused_without_lookup_or_echo(string keyId)
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        await client.PutAsync("a", new MemoryStream(_content), TestStore.Put());
        var ring = client.KeyRing!;

        var error = await Assert.ThrowsAsync<HdsIntegrityException>(() => ring.UnwrapDataKeyAsync(keyId, new byte[40], CancellationToken.None).AsTask());
        Assert.DoesNotContain(keyId, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a key-ring id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_ring_entry_replaced_by_a_copy_of_another_entry_is_refused()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var first = await client.PutAsync("a", new MemoryStream(_content), TestStore.Put());
        var second = await client.RotateKeyAsync(TestStore.Keys());

        // A genuine, signed entry copied over another key's object (e.g. to swap in a revoked or attacker-known key).
        var backend = Backend();
        var source = await ReadAsync(backend, KeyRingStore.PhysicalKey(second.Id));
        await WriteAsync(backend, KeyRingStore.PhysicalKey(first.KeyId!), source);

        await using var reader = _store.Client(Operational, PublicOnly(Escrow));
        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(reader, "a", TestStore.Get()));
    }

    [Fact]
    public async Task Key_ring_entry_with_a_flipped_ciphertext_byte_is_refused()
    {
        await using (var writer = _store.Client(Operational, PublicOnly(Escrow)))
        {
            await writer.PutAsync("a", new MemoryStream(_content), TestStore.Put());
        }

        var backend = Backend();
        var id = Assert.Single((await backend.ListAsync(KeyRingStore.Prefix, null, 10, CancellationToken.None)).Items).Key;
        var bytes = await ReadAsync(backend, id);
        bytes[^5] ^= 0x01; // inside the AES-CBC content: padding or signature breaks
        await WriteAsync(backend, id, bytes);

        await using var reader = _store.Client(Operational, PublicOnly(Escrow));
        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(reader, "a", TestStore.Get()));
    }

    [Fact]
    public void Certificate_whose_key_usage_forbids_key_encipherment_is_refused_with_a_configuration_error()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=signature-only", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var options = _store.Options(certificate);
        var error = Assert.Throws<HdsConfigurationException>(() => options.Validate());
        Assert.Contains("key encipherment", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_public_certificates_cannot_sign_a_new_entry_and_nothing_is_written()
    {
        await using var client = _store.Client(PublicOnly(Operational), PublicOnly(Escrow));
        await Assert.ThrowsAsync<HdsConfigurationException>(() => client.PutAsync("a", new MemoryStream(_content), TestStore.Put()));
        var listed = await Backend().ListAsync(string.Empty, null, 100, CancellationToken.None);
        Assert.DoesNotContain(listed.Items, i => i.Key.StartsWith("tenant-a/", StringComparison.Ordinal) || i.Key.StartsWith(KeyRingStore.Prefix, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Expired_certificates_cannot_create_a_key_and_nothing_is_written()
    {
        using var expired = CreateRsa("CN=expired", notBefore: DateTimeOffset.UtcNow.AddYears(-2), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        await using var client = _store.Client(expired);
        await Assert.ThrowsAsync<HdsConfigurationException>(() => client.PutAsync("a", new MemoryStream(_content), TestStore.Put()));
        var listed = await Backend().ListAsync(string.Empty, null, 100, CancellationToken.None);
        Assert.DoesNotContain(listed.Items, i => i.Key.StartsWith("tenant-a/", StringComparison.Ordinal) || i.Key.StartsWith(KeyRingStore.Prefix, StringComparison.Ordinal));
    }

    private LocalBackend Backend() => new(new HdsLocalStorageOptions { Path = _store.Path }, _store.Time);

    // Writes an entry the way an attacker holding only the public certificates can: EnvelopedData to them, optionally signed.
    private async Task<string> PlantAsync(byte[] kek, X509Certificate2? sign)
    {
        var now = _store.Time.GetUtcNow();
        var id = now.AddSeconds(30).UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture) + "-0123456789ab";
        var entry = new HdsKeyRingEntry { Id = id, CreatedAt = now, ActivatesAt = now.AddSeconds(30), ExpiresAt = now.AddDays(365) };
        var payload = KeyRingPayload.Encode(entry, kek);
        if (sign is not null)
        {
            var signed = new SignedCms(new ContentInfo(payload));
            signed.ComputeSignature(new CmsSigner(sign), silent: true);
            payload = signed.Encode();
        }

        var cms = new EnvelopedCms(new ContentInfo(payload), new AlgorithmIdentifier(new Oid("2.16.840.1.101.3.4.1.42")));
        var recipients = new CmsRecipientCollection
        {
            new CmsRecipient(SubjectIdentifierType.IssuerAndSerialNumber, PublicOnly(Operational), RSAEncryptionPadding.OaepSHA256),
            new CmsRecipient(SubjectIdentifierType.IssuerAndSerialNumber, PublicOnly(Escrow), RSAEncryptionPadding.OaepSHA256),
        };
        cms.Encrypt(recipients);
        await WriteAsync(Backend(), KeyRingStore.PhysicalKey(id), cms.Encode());
        return id;
    }

    private static byte[] Envelope(byte[] payload, X509Certificate2? sign)
    {
        if (sign is not null)
        {
            var signed = new SignedCms(new ContentInfo(payload));
            signed.ComputeSignature(new CmsSigner(sign), silent: true);
            payload = signed.Encode();
        }

        var cms = new EnvelopedCms(new ContentInfo(payload), new AlgorithmIdentifier(new Oid("2.16.840.1.101.3.4.1.42")));
        cms.Encrypt(new CmsRecipientCollection
        {
            new CmsRecipient(SubjectIdentifierType.IssuerAndSerialNumber, PublicOnly(Operational), RSAEncryptionPadding.OaepSHA256),
            new CmsRecipient(SubjectIdentifierType.IssuerAndSerialNumber, PublicOnly(Escrow), RSAEncryptionPadding.OaepSHA256),
        });
        return cms.Encode();
    }

    private static async Task<byte[]> ReadAsync(StorageBackend backend, string key)
    {
        await using var read = await backend.GetAsync(key, null, null, CancellationToken.None);
        using var buffer = new MemoryStream();
        await read.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task WriteAsync(StorageBackend backend, string key, byte[] bytes)
    {
        var request = new BackendWriteRequest(key, "application/pkcs7-mime", new Dictionary<string, string>(StringComparer.Ordinal),
            new HdsRetentionInfo(HdsRetentionMode.None, null, false));
        await backend.PutAsync(request, new MemoryStream(bytes), CancellationToken.None);
    }
}
