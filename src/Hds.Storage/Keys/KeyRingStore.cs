using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using Hds.Storage.Backends;
using Hds.Storage.Objects;
using Hds.Storage.Retention;

namespace Hds.Storage.Keys;

/// <summary>
/// Persists key-ring entries in the store itself, one object per key under "_hds/keys/{id}.p7m": CMS EnvelopedData (AES-256-CBC
/// content encryption, RSA-OAEP-SHA256 key transport) to every configured certificate. A change (revocation, rewrap) is a new
/// version of the same object; every version is locked like the data it protects.
/// </summary>
internal sealed class KeyRingStore
{
    public const string Prefix = ObjectKeys.ReservedPrefix + "keys/";
    private const string Suffix = ".p7m";
    private const int MaxEntryBytes = 256 * 1024;
    private static readonly TimeSpan RetentionTolerance = TimeSpan.FromSeconds(1);
    private static readonly Oid Aes256Cbc = new("2.16.840.1.101.3.4.1.42");

    private readonly StorageBackend _backend;
    private readonly IReadOnlyList<X509Certificate2> _certificates;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;

    public KeyRingStore(StorageBackend backend, IReadOnlyList<X509Certificate2> certificates, TimeSpan retention, TimeProvider time)
    {
        _backend = backend;
        _certificates = certificates;
        _retention = retention;
        _time = time;
    }

    public static string PhysicalKey(string id) => Prefix + id + Suffix;

    /// <summary>SHA-256 thumbprints of the certificates new entries are encrypted to.</summary>
    public IReadOnlyList<string> RecipientThumbprints() =>
        Recipients().Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads every entry; an entry no configured certificate opens is returned unavailable (no key).</summary>
    public async Task<List<(KeyRingEntry Entry, byte[]? Kek)>> LoadAllAsync(CancellationToken cancellationToken)
    {
        var result = new List<(KeyRingEntry, byte[]?)>();
        string? token = null;
        do
        {
            var page = await _backend.ListAsync(Prefix, token, 1000, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (!item.Key.EndsWith(Suffix, StringComparison.Ordinal))
                {
                    continue;
                }

                var id = item.Key[Prefix.Length..^Suffix.Length];
                result.Add(await LoadAsync(id, cancellationToken).ConfigureAwait(false));
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return result;
    }

    public async Task<(KeyRingEntry Entry, byte[]? Kek)> LoadAsync(string id, CancellationToken cancellationToken)
    {
        byte[] bytes;
        var read = await _backend.GetAsync(PhysicalKey(id), null, null, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            if (read.Head.StoredLength > MaxEntryBytes)
            {
                throw new HdsIntegrityException($"Key-ring entry '{id}' is larger than any key-ring entry: it was tampered with.");
            }

            using var buffer = new MemoryStream();
            await read.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            bytes = buffer.ToArray();
        }

        var cms = new EnvelopedCms();
        try
        {
            cms.Decode(bytes);
        }
        catch (CryptographicException ex)
        {
            throw new HdsIntegrityException($"Key-ring entry '{id}' is not valid CMS EnvelopedData: it was tampered with.", ex);
        }

        var recipients = cms.RecipientInfos.Cast<RecipientInfo>().ToList();
        foreach (var certificate in _certificates.Where(c => c.HasPrivateKey))
        {
            var match = recipients.FirstOrDefault(r => Matches(r, certificate));
            if (match is null)
            {
                continue;
            }

            using var key = certificate.GetRSAPrivateKey();
            if (key is null)
            {
                continue;
            }

            try
            {
                cms.Decrypt(match, key);
            }
            catch (CryptographicException ex)
            {
                throw new HdsIntegrityException($"Key-ring entry '{id}' does not decrypt with its recipient certificate: it was tampered with.", ex);
            }

            var payload = cms.ContentInfo.Content;
            try
            {
                var (entry, kek) = KeyRingPayload.Decode(payload);
                if (!string.Equals(entry.Id, id, StringComparison.Ordinal))
                {
                    CryptographicOperations.ZeroMemory(kek);
                    throw new HdsIntegrityException($"Key-ring object '{id}' holds another key's entry: it was moved or tampered with.");
                }

                return (entry, kek);
            }
            catch (CryptographicException ex)
            {
                throw new HdsIntegrityException($"Key-ring entry '{id}' is malformed: it was tampered with.", ex);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(payload);
            }
        }

        // No configured certificate opens it: listed (ids and recipients are not secret) but unusable here.
        var now = _time.GetUtcNow();
        return (new KeyRingEntry { Id = id, CreatedAt = now, ActivatesAt = DateTimeOffset.MaxValue, ExpiresAt = DateTimeOffset.MaxValue, IsAvailable = false }, null);
    }

    /// <summary>Writes a new version of an entry, encrypted to the configured certificates, and verifies it is locked.</summary>
    public async Task<KeyRingEntry> WriteAsync(KeyRingEntry entry, byte[] kek, CancellationToken cancellationToken)
    {
        var recipients = Recipients();
        entry = entry with { RecipientThumbprints = recipients.Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).Order(StringComparer.Ordinal).ToList(), IsAvailable = true };
        var payload = KeyRingPayload.Encode(entry, kek);
        byte[] encoded;
        try
        {
            var cms = new EnvelopedCms(new ContentInfo(payload), new AlgorithmIdentifier(Aes256Cbc));
            var collection = new CmsRecipientCollection();
            foreach (var certificate in recipients)
            {
                collection.Add(new CmsRecipient(SubjectIdentifierType.IssuerAndSerialNumber, certificate, RSAEncryptionPadding.OaepSHA256));
            }

            cms.Encrypt(collection);
            encoded = cms.Encode();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }

        var now = _time.GetUtcNow();
        var until = (entry.ExpiresAt > now ? entry.ExpiresAt : now) + _retention;
        until = new DateTimeOffset(until.UtcTicks - (until.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var retention = new RetentionInfo(RetentionMode.Compliance, until, false);
        var key = PhysicalKey(entry.Id);
        using var body = new MemoryStream(encoded, writable: false);
        var written = await _backend.PutAsync(
            new BackendWriteRequest(key, "application/pkcs7-mime", new Dictionary<string, string>(StringComparer.Ordinal), retention), body, cancellationToken)
            .ConfigureAwait(false);

        // Key-ring objects are locked like the data they protect: verify, apply when the backend ignored the lock headers.
        var head = await _backend.HeadAsync(key, written.VersionId, cancellationToken).ConfigureAwait(false);
        if (!IsLocked(head.Retention, until))
        {
            await _backend.SetRetentionAsync(key, written.VersionId, RetentionMode.Compliance, until, cancellationToken).ConfigureAwait(false);
            head = await _backend.HeadAsync(key, written.VersionId, cancellationToken).ConfigureAwait(false);
            if (!IsLocked(head.Retention, until))
            {
                throw new HdsConfigurationException("The storage did not lock the key-ring entry. Enable object lock on the bucket (see docs/operations.md).");
            }
        }

        return entry;
    }

    private static bool IsLocked(RetentionInfo retention, DateTimeOffset until) =>
        retention.Mode == RetentionMode.Compliance && retention.RetainUntil is { } actual && actual + RetentionTolerance >= until;

    private static bool Matches(RecipientInfo recipient, X509Certificate2 certificate) =>
        recipient.RecipientIdentifier.Value switch
        {
            X509IssuerSerial issuerSerial => string.Equals(issuerSerial.IssuerName, certificate.IssuerName.Name, StringComparison.Ordinal)
                && string.Equals(issuerSerial.SerialNumber, certificate.SerialNumber, StringComparison.OrdinalIgnoreCase),
            string ski => string.Equals(ski, certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifier, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };

    private List<X509Certificate2> Recipients()
    {
        var now = _time.GetUtcNow();
        var recipients = _certificates.Where(c => c.NotAfter.ToUniversalTime() > now.UtcDateTime && c.NotBefore.ToUniversalTime() <= now.UtcDateTime).ToList();
        if (recipients.Count == 0)
        {
            throw new HdsConfigurationException(
                "No configured key-ring certificate is currently valid: new key-ring entries cannot be encrypted. Configure a renewed certificate (HdsStorageOptions.Encryption) and run a rewrap.");
        }

        return recipients;
    }
}
