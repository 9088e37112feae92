using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Locking;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.Keys;

// Writing a new version of an entry: signed, encrypted to the currently valid certificates, locked like the data it protects.
internal sealed partial class KeyRingStore
{
    private static readonly Oid Aes256Cbc = new("2.16.840.1.101.3.4.1.42");

    /// <summary>SHA-256 thumbprints of the certificates new entries are encrypted to.</summary>
    public IReadOnlyList<string> RecipientThumbprints() =>
        Recipients().Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Writes a new version of an entry, encrypted to the configured certificates, and verifies it is locked.</summary>
    public async Task<HdsKeyRingEntry> WriteAsync(HdsKeyRingEntry entry, byte[] kek, OperationContext? operation, CancellationToken cancellationToken)
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
        var retention = new HdsRetentionInfo(HdsRetentionMode.Compliance, until, false);
        var key = PhysicalKey(entry.Id);
        using var body = new MemoryStream(encoded, writable: false);

        // Key-ring objects are locked like the data they protect, by the same rule (LockedWriter): verified, applied when the
        // backend ignored the lock headers, removed and refused when the lock does not hold.
        await new LockedWriter(_backend).WriteAsync(
            new BackendWriteRequest(key, "application/pkcs7-mime", new Dictionary<string, string>(StringComparer.Ordinal), retention), body, operation, cancellationToken)
            .ConfigureAwait(false);
        return entry;
    }

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
