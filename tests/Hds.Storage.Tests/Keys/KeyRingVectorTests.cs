using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Keys;
using Hds.Storage.Retention;
using Hds.Storage.Tests.TestSupport;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Keys;

/// <summary>
/// A committed key-ring entry (docs/format.md §9) with the test certificate it is encrypted to and signed by (committed for the
/// purpose, never used elsewhere): a second implementation can open it (CMS EnvelopedData, RSA-OAEP-SHA256, AES-256-CBC, then
/// SignedData, then the "HDSK" payload) and compare with the expected values. Regenerate only for a new payload version:
/// eng/write-vectors.sh keyring (then review the diff).
/// </summary>
public sealed class KeyRingVectorTests
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    [Fact]
    public async Task Committed_key_ring_entry_opens_with_its_test_certificate_to_the_expected_key_and_state()
    {
        var v = JsonSerializer.Deserialize<EntryVector>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Encryption", "vectors", "keyring-entry.json")), Json)!;
        using var certificate = X509Certificate2.CreateFromPem(v.CertificatePem, v.CertificatePem);
        Assert.Equal(v.SignerSha256, certificate.GetCertHashString(HashAlgorithmName.SHA256));

        var loaded = await OpenAsync(certificate, v.Id, Convert.FromHexString(v.Entry));

        Assert.Equal(v.Kek, Convert.ToHexStringLower(loaded.Kek!));
        Assert.Equal(v.Id, loaded.Entry.Id);
        Assert.Equal(DateTimeOffset.Parse(v.Created, System.Globalization.CultureInfo.InvariantCulture), loaded.Entry.CreatedAt);
        Assert.Equal(DateTimeOffset.Parse(v.Expires, System.Globalization.CultureInfo.InvariantCulture), loaded.Entry.ExpiresAt);
        Assert.Null(loaded.Entry.RevokedAt);
        Assert.False(loaded.RolledBack);
        CryptographicOperations.ZeroMemory(loaded.Kek!);

        // The same entry under another id is refused (the id inside must match the object name).
        await Assert.ThrowsAsync<HdsIntegrityException>(() => OpenAsync(certificate, "20250101T000000Z-000000000000", Convert.FromHexString(v.Entry)));
    }

    // A tool, not a test: it runs only when asked by name (eng/write-vectors.sh keyring), never in the suite. It draws a new test
    // certificate, so the committed entry changes every time.
    [Fact(Explicit = true)]
    public async Task Write_key_ring_vector()
    {
        var certificate = TestCertificates.CreateRsa("CN=hds-format-vector-key-ring-TEST-ONLY", notBefore: DateTimeOffset.UtcNow.AddDays(-1), notAfter: DateTimeOffset.UtcNow.AddYears(50));
        using var rsa = certificate.GetRSAPrivateKey()!;
        var pem = certificate.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem() + "\n";
        var created = new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var id = "20251201T000000Z-0123456789ab";
        var kek = Enumerable.Range(0, 32).Select(i => (byte)(0xB0 + i)).ToArray();
        using var dir = new TestStore();
        var backend = new LocalBackend(new HdsLocalStorageOptions { Path = dir.Path }, dir.Time);
        var store = new KeyRingStore(backend, [certificate], TimeSpan.FromDays(1), dir.Time);
        await store.WriteAsync(new HdsKeyRingEntry { Id = id, CreatedAt = created, ActivatesAt = created, ExpiresAt = created.AddDays(90) }, kek, null, CancellationToken.None);
        await using var read = await backend.GetAsync(KeyRingStore.PhysicalKey(id), null, null, CancellationToken.None);
        using var bytes = new MemoryStream();
        await read.Body.CopyToAsync(bytes, TestContext.Current.CancellationToken);
        var vector = new EntryVector(
            "A key-ring entry (docs/format.md §9): EnvelopedData to the test certificate, SignedData by it, payload version 1. The certificate and its private key are published test material.",
            pem, certificate.GetCertHashString(HashAlgorithmName.SHA256), id, Convert.ToHexStringLower(kek), created.ToString("O"), created.AddDays(90).ToString("O"),
            Convert.ToHexStringLower(bytes.ToArray()));
        var target = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Encryption", "vectors", "keyring-entry.json");
        await File.WriteAllTextAsync(target, JsonSerializer.Serialize(vector, Json) + "\n", TestContext.Current.CancellationToken);
    }

    private static async Task<LoadedEntry> OpenAsync(X509Certificate2 certificate, string id, byte[] entry)
    {
        using var dir = new TestStore();
        var backend = new LocalBackend(new HdsLocalStorageOptions { Path = dir.Path }, dir.Time);
        await backend.PutAsync(
            new BackendWriteRequest(KeyRingStore.PhysicalKey(id), "application/pkcs7-mime", new Dictionary<string, string>(), new HdsRetentionInfo(HdsRetentionMode.None, null, false)),
            new MemoryStream(entry), CancellationToken.None);
        return (await new KeyRingStore(backend, [certificate], TimeSpan.FromDays(1), dir.Time).LoadAsync(id, null, CancellationToken.None))!;
    }

    private sealed record EntryVector(string Description, string CertificatePem, string SignerSha256, string Id, string Kek, string Created, string Expires, string Entry);
}
