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
    private readonly HashSet<string> _signerThumbprints;

    public KeyRingStore(StorageBackend backend, IReadOnlyList<X509Certificate2> certificates, TimeSpan retention, TimeProvider time)
    {
        _backend = backend;
        _certificates = certificates;
        _retention = retention;
        _time = time;
        _signerThumbprints = certificates.Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).ToHashSet(StringComparer.OrdinalIgnoreCase);
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

            var content = cms.ContentInfo.Content;
            try
            {
                return OpenContent(id, content);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(content);
            }
        }

        // No configured certificate opens it: listed (ids and recipients are not secret) but unusable here.
        var now = _time.GetUtcNow();
        return (new KeyRingEntry { Id = id, CreatedAt = now, ActivatesAt = DateTimeOffset.MaxValue, ExpiresAt = DateTimeOffset.MaxValue, IsAvailable = false }, null);
    }

    /// <summary>
    /// Opens the decrypted content of an entry: CMS SignedData by one of the configured certificates around the payload. Anyone
    /// holding only the public certificates can produce EnvelopedData for them, so without this signature anyone able to write
    /// under "_hds/keys/" could plant a key-encryption key of their choosing (and read every object written under it afterwards)
    /// or replace an entry (un-revoking a key). Every failure is an <see cref="HdsIntegrityException"/>.
    /// </summary>
    internal (KeyRingEntry Entry, byte[] Kek) OpenContent(string id, byte[] content)
    {
        if (content.Length == 0 || content[0] != 0x30)
        {
            throw new HdsIntegrityException($"Key-ring entry '{id}' is not signed: it was planted or tampered with (entries are signed by a configured certificate).");
        }

        var signed = new SignedCms();
        try
        {
            signed.Decode(content);
            if (signed.SignerInfos.Count != 1 || signed.Detached)
            {
                throw new HdsIntegrityException($"Key-ring entry '{id}' does not carry exactly one signature: it was planted or tampered with.");
            }

            var signer = signed.SignerInfos[0];
            var certificate = signer.Certificate
                ?? throw new HdsIntegrityException($"Key-ring entry '{id}' does not name its signing certificate: it was planted or tampered with.");
            var thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
            if (!_signerThumbprints.Contains(thumbprint))
            {
                throw new HdsIntegrityException(
                    $"Key-ring entry '{id}' is signed by certificate {thumbprint}, which is not a configured key-ring certificate: it was planted or tampered with. "
                    + "(When recovering with the escrow certificate, configure the public part of the operational certificate that signed the entries too.)");
            }

            signer.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException ex)
        {
            throw new HdsIntegrityException($"Key-ring entry '{id}' has an invalid signature: it was planted or tampered with.", ex);
        }

        var payload = signed.ContentInfo.Content;
        try
        {
            return OpenPayload(id, payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(payload);
        }
    }

    /// <summary>Parses a verified payload and checks it describes the key its object is named after.</summary>
    internal static (KeyRingEntry Entry, byte[] Kek) OpenPayload(string id, ReadOnlySpan<byte> payload)
    {
        KeyRingEntry entry;
        byte[] kek;
        try
        {
            (entry, kek) = KeyRingPayload.Decode(payload);
        }
        catch (CryptographicException ex)
        {
            throw new HdsIntegrityException($"Key-ring entry '{id}' is malformed: it was tampered with.", ex);
        }

        if (!string.Equals(entry.Id, id, StringComparison.Ordinal))
        {
            CryptographicOperations.ZeroMemory(kek);
            throw new HdsIntegrityException($"Key-ring object '{id}' holds another key's entry: it was moved or tampered with.");
        }

        return (entry, kek);
    }

    /// <summary>Writes a new version of an entry, encrypted to the configured certificates, and verifies it is locked.</summary>
    public async Task<KeyRingEntry> WriteAsync(KeyRingEntry entry, byte[] kek, CancellationToken cancellationToken)
    {
        var recipients = Recipients();
        entry = entry with { RecipientThumbprints = recipients.Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).Order(StringComparer.Ordinal).ToList(), IsAvailable = true };
        var payload = KeyRingPayload.Encode(entry, kek);
        byte[] encoded;
        byte[]? signedPayload = null;
        try
        {
            signedPayload = Sign(payload);
            var cms = new EnvelopedCms(new ContentInfo(signedPayload), new AlgorithmIdentifier(Aes256Cbc));
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
            if (signedPayload is not null)
            {
                CryptographicOperations.ZeroMemory(signedPayload);
            }
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

    // Signed by the currently valid configured certificate with a private key that expires last (after a renewal: the new one).
    private byte[] Sign(byte[] payload)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var certificate = _certificates
            .Where(c => c.HasPrivateKey && c.NotBefore.ToUniversalTime() <= now && c.NotAfter.ToUniversalTime() > now)
            .OrderByDescending(c => c.NotAfter)
            .FirstOrDefault()
            ?? throw new HdsConfigurationException(
                "No configured key-ring certificate has a private key and is currently valid: key-ring entries cannot be signed. Configure the operational certificate with its private key.");
        var signed = new SignedCms(new ContentInfo(payload), detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"), // SHA-256
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signed.ComputeSignature(signer, silent: true);
        return signed.Encode();
    }

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
