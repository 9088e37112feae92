using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Locking;
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
    private const int IdLength = 29; // yyyyMMddTHHmmssZ-<12 hex>
    private const string DataContentType = "1.2.840.113549.1.7.1"; // id-data: the signed content is the raw payload
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

    /// <summary>
    /// Reads every entry, each merged across all its versions (<see cref="Merge"/>); an entry no configured certificate opens is
    /// returned unavailable (no key). Objects under "_hds/keys/" whose name is not a key-ring id are skipped: no header can name
    /// them (key ids are checked against <see cref="IsValidId"/> before any lookup), so they can neither serve nor block a read.
    /// </summary>
    public async Task<List<LoadedEntry>> LoadAllAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        var result = new List<LoadedEntry>();
        string? token = null;
        do
        {
            var page = await _backend.ListAsync(Prefix, token, 1000, operation, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (!item.Key.EndsWith(Suffix, StringComparison.Ordinal) || !IsValidId(item.Key[Prefix.Length..^Suffix.Length]))
                {
                    continue;
                }

                if (await LoadAsync(item.Key[Prefix.Length..^Suffix.Length], operation, cancellationToken).ConfigureAwait(false) is { } loaded)
                {
                    result.Add(loaded);
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return result;
    }

    /// <summary>
    /// Whether <paramref name="id"/> has the syntax of the ids this key ring creates: <c>yyyyMMddTHHmmssZ-</c> and 12 lowercase
    /// hexadecimal digits (docs/format.md §9). Checked before an id read from a header or a listing is looked up or named in a message.
    /// </summary>
    public static bool IsValidId(string id)
    {
        if (id.Length != IdLength || id[8] != 'T' || id[15] != 'Z' || id[16] != '-')
        {
            return false;
        }

        for (var i = 0; i < IdLength; i++)
        {
            var ok = i switch
            {
                8 or 15 or 16 => true,
                < 16 => char.IsAsciiDigit(id[i]),
                _ => char.IsAsciiDigit(id[i]) || id[i] is >= 'a' and <= 'f',
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads every version of one entry (they are all locked: a bucket writer can add versions, not remove them) and merges them
    /// (<see cref="Merge"/>). <see langword="null"/> when the entry has no version left (hidden by a delete marker meanwhile).
    /// With <paramref name="anySite"/> (an entry an object names, unknown to the serving site) every site is asked within the
    /// replication lag bound (<see cref="StorageBackend.ListVersionsOnAnySiteAsync"/>).
    /// </summary>
    public async Task<LoadedEntry?> LoadAsync(string id, OperationContext? operation, CancellationToken cancellationToken, bool anySite = false)
    {
        var key = PhysicalKey(id);
        var versions = anySite
            ? await _backend.ListVersionsOnAnySiteAsync(key, operation, cancellationToken).ConfigureAwait(false)
            : await _backend.ListVersionsAsync(key, operation, cancellationToken).ConfigureAwait(false);
        var opened = new List<(KeyRingEntry Entry, byte[]? Kek)>();
        try
        {
            foreach (var version in versions.Where(v => !v.IsDeleteMarker))
            {
                opened.Add(await LoadVersionAsync(id, key, version.VersionId, operation, cancellationToken).ConfigureAwait(false));
            }

            return opened.Count == 0 ? null : Merge(id, opened);
        }
        finally
        {
            foreach (var (_, kek) in opened)
            {
                if (kek is not null)
                {
                    CryptographicOperations.ZeroMemory(kek);
                }
            }
        }
    }

    /// <summary>
    /// The state of an entry across its versions (newest first), each already verified: state that may only move forward keeps
    /// its most advanced value whatever version is the newest — revoked if any version is revoked (earliest revocation), the
    /// latest activation, the earliest expiry — so re-storing an older version (a rollback) cannot undo a revocation. The key
    /// material must be the same in every version. Versions no configured certificate opens cannot be verified and do not count
    /// (a rewrap keeps the state, so the versions encrypted to the current certificates carry it). The returned KEK is a new
    /// pinned array the caller owns.
    /// </summary>
    internal static LoadedEntry Merge(string id, IReadOnlyList<(KeyRingEntry Entry, byte[]? Kek)> versions)
    {
        var verified = versions.Where(v => v.Kek is not null).ToList();
        if (verified.Count == 0)
        {
            return new LoadedEntry(versions[0].Entry, null, RolledBack: false);
        }

        var newest = verified[0].Entry;
        var kek = verified[0].Kek!;
        if (verified.Any(v => !CryptographicOperations.FixedTimeEquals(v.Kek, kek)))
        {
            throw Unverifiable(id);
        }

        var revoked = verified.Select(v => v.Entry.RevokedAt).Where(r => r is not null).Min();
        var merged = newest with
        {
            CreatedAt = verified.Min(v => v.Entry.CreatedAt),
            ActivatesAt = verified.Max(v => v.Entry.ActivatesAt),
            ExpiresAt = verified.Min(v => v.Entry.ExpiresAt),
            RevokedAt = revoked,
        };
        var rolledBack = merged.RevokedAt != newest.RevokedAt || merged.ActivatesAt != newest.ActivatesAt || merged.ExpiresAt != newest.ExpiresAt
            || merged.CreatedAt != newest.CreatedAt;
        var copy = GC.AllocateUninitializedArray<byte>(KeyRingPayload.KekLength, pinned: true);
        kek.CopyTo(copy, 0);
        return new LoadedEntry(merged, copy, rolledBack);
    }

    // One version: every failure (not CMS, does not decrypt, bad padding, not signed, foreign signer, bad signature, malformed
    // payload, another id inside) gives the same error with no inner exception, so that what fails tells nothing about the bytes
    // (no padding-oracle signal from a planted entry).
    private async Task<(KeyRingEntry Entry, byte[]? Kek)> LoadVersionAsync(
        string id, string key, string versionId, OperationContext? operation, CancellationToken cancellationToken)
    {
        byte[] bytes;
        var read = await _backend.GetAsync(key, versionId, null, operation, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            if (read.Head.StoredLength > MaxEntryBytes || !string.Equals(read.Head.VersionId, versionId, StringComparison.Ordinal))
            {
                throw Unverifiable(id);
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
        catch (CryptographicException)
        {
            throw Unverifiable(id);
        }

        var recipients = cms.RecipientInfos.Cast<RecipientInfo>().ToList();
        foreach (var certificate in _certificates.Where(c => c.HasPrivateKey))
        {
            var match = recipients.FirstOrDefault(r => Matches(r, certificate));
            if (match is null)
            {
                continue;
            }

            using var rsa = certificate.GetRSAPrivateKey();
            if (rsa is null)
            {
                continue;
            }

            try
            {
                cms.Decrypt(match, rsa);
            }
            catch (CryptographicException)
            {
                throw Unverifiable(id);
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

    /// <summary>The one error for a key-ring entry version that does not verify, whatever failed.</summary>
    internal static HdsIntegrityException Unverifiable(string id) =>
        new($"Key-ring entry '{id}' failed verification: a version of it is not an entry of this key ring signed by a configured certificate "
            + "(planted, altered or moved), or its versions disagree. The key ring is not used until an administrator removes the bad version. "
            + "(When recovering with the escrow certificate, configure the public part of the operational certificate that signed the entries too.)");

    /// <summary>
    /// Opens the decrypted content of an entry: CMS SignedData by one of the configured certificates around the payload. Anyone
    /// holding only the public certificates can produce EnvelopedData for them, so without this signature anyone able to write
    /// under "_hds/keys/" could plant a key-encryption key of their choosing (and read every object written under it afterwards)
    /// or replace an entry. Every failure is the same <see cref="HdsIntegrityException"/> (<see cref="Unverifiable"/>).
    /// </summary>
    internal (KeyRingEntry Entry, byte[] Kek) OpenContent(string id, byte[] content)
    {
        if (content.Length == 0 || content[0] != 0x30)
        {
            throw Unverifiable(id);
        }

        var signed = new SignedCms();
        try
        {
            signed.Decode(content);
            if (signed.SignerInfos.Count != 1 || signed.Detached
                || !string.Equals(signed.ContentInfo.ContentType.Value, DataContentType, StringComparison.Ordinal))
            {
                throw Unverifiable(id);
            }

            var signer = signed.SignerInfos[0];
            var certificate = signer.Certificate ?? throw Unverifiable(id);
            if (!_signerThumbprints.Contains(certificate.GetCertHashString(HashAlgorithmName.SHA256)))
            {
                throw Unverifiable(id);
            }

            signer.CheckSignature(verifySignatureOnly: true);
        }
        catch (CryptographicException)
        {
            throw Unverifiable(id);
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
        catch (CryptographicException)
        {
            throw Unverifiable(id);
        }

        if (!string.Equals(entry.Id, id, StringComparison.Ordinal))
        {
            CryptographicOperations.ZeroMemory(kek);
            throw Unverifiable(id);
        }

        return (entry, kek);
    }

    /// <summary>Writes a new version of an entry, encrypted to the configured certificates, and verifies it is locked.</summary>
    public async Task<KeyRingEntry> WriteAsync(KeyRingEntry entry, byte[] kek, OperationContext? operation, CancellationToken cancellationToken)
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

        // Key-ring objects are locked like the data they protect, by the same rule (LockedWriter): verified, applied when the
        // backend ignored the lock headers, removed and refused when the lock does not hold.
        await new LockedWriter(_backend).WriteAsync(
            new BackendWriteRequest(key, "application/pkcs7-mime", new Dictionary<string, string>(StringComparer.Ordinal), retention), body, operation, cancellationToken)
            .ConfigureAwait(false);
        return entry;
    }

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
                "No configured key-ring certificate is currently valid: new key-ring entries cannot be encrypted. Configure a renewed certificate (Encryption.CertificateFiles, configuration HdsStorage:Encryption:CertificateFiles) and run a rewrap (hds keys rewrap).");
        }

        return recipients;
    }
}

/// <summary>An entry as merged across its versions; <paramref name="RolledBack"/> when its newest version is behind the merged state.</summary>
internal sealed record LoadedEntry(KeyRingEntry Entry, byte[]? Kek, bool RolledBack);
