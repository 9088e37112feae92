using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using Hds.Storage.Access;
using Hds.Storage.Models;

namespace Hds.Storage.Keys;

// Reading one version of an entry: its CMS envelope decrypted, its signature and payload checked, one error whatever fails.
internal sealed partial class KeyRingStore
{
    private const int MaxEntryBytes = 256 * 1024;
    private const string DataContentType = "1.2.840.113549.1.7.1"; // id-data: the signed content is the raw payload

    // One version: every failure (not CMS, does not decrypt, bad padding, not signed, foreign signer, bad signature, malformed
    // payload, another id inside) gives the same error with no inner exception, so that what fails tells nothing about the bytes
    // (no padding-oracle signal from a planted entry).
    private async Task<(HdsKeyRingEntry Entry, byte[]? Kek)> LoadVersionAsync(
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
        return (new HdsKeyRingEntry { Id = id, CreatedAt = now, ActivatesAt = DateTimeOffset.MaxValue, ExpiresAt = DateTimeOffset.MaxValue, IsAvailable = false }, null);
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
    internal (HdsKeyRingEntry Entry, byte[] Kek) OpenContent(string id, byte[] content)
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
    internal static (HdsKeyRingEntry Entry, byte[] Kek) OpenPayload(string id, ReadOnlySpan<byte> payload)
    {
        HdsKeyRingEntry entry;
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

    private static bool Matches(RecipientInfo recipient, X509Certificate2 certificate) =>
        recipient.RecipientIdentifier.Value switch
        {
            X509IssuerSerial issuerSerial => string.Equals(issuerSerial.IssuerName, certificate.IssuerName.Name, StringComparison.Ordinal)
                && string.Equals(issuerSerial.SerialNumber, certificate.SerialNumber, StringComparison.OrdinalIgnoreCase),
            string ski => string.Equals(ski, certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifier, StringComparison.OrdinalIgnoreCase),
            _ => false,
        };
}
