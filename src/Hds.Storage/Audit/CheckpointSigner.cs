using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Hds.Storage.Audit;

/// <summary>
/// Signed checkpoints: CMS SignedData (SHA-256, signer's end certificate included) over a JSON payload naming the node, the
/// last sequence and head hash it covers, the time, and the SHA-256 of the previous checkpoint object (a chain of checkpoints,
/// so removing one is seen). Verification accepts only signers among the trusted certificates.
/// </summary>
internal static class CheckpointSigner
{
    public static byte[] Sign(X509Certificate2 certificate, AuditCheckpoint checkpoint)
    {
        var content = new ContentInfo(Serialize(checkpoint));
        var cms = new SignedCms(content, detached: false);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificate)
        {
            DigestAlgorithm = new Oid("2.16.840.1.101.3.4.2.1"), // SHA-256
            IncludeOption = X509IncludeOption.EndCertOnly,
        };
        signer.SignedAttributes.Add(new Pkcs9SigningTime(checkpoint.Time.UtcDateTime));
        cms.ComputeSignature(signer, silent: true);
        return cms.Encode();
    }

    /// <summary>Verifies the signature and the signer; returns the payload, or null with the reason.</summary>
    public static AuditCheckpoint? TryVerify(byte[] encoded, IReadOnlyList<X509Certificate2> trusted, out string? problem)
    {
        try
        {
            var cms = new SignedCms();
            cms.Decode(encoded);
            if (cms.SignerInfos.Count != 1 || cms.SignerInfos[0].Certificate is not { } signerCert)
            {
                problem = "checkpoint must have exactly one signer with its certificate";
                return null;
            }

            cms.CheckSignature(verifySignatureOnly: true);
            var signerHash = SHA256.HashData(signerCert.RawData);
            if (!trusted.Any(t => CryptographicOperations.FixedTimeEquals(SHA256.HashData(t.RawData), signerHash)))
            {
                problem = "checkpoint signer is not a trusted certificate";
                return null;
            }

            problem = null;
            return Deserialize(cms.ContentInfo.Content);
        }
        catch (Exception ex) when (ex is CryptographicException or JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
        {
            problem = "checkpoint signature or payload invalid";
            return null;
        }
    }

    private static byte[] Serialize(AuditCheckpoint c)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("v", 1);
            w.WriteString("node", c.Node);
            w.WriteNumber("seq", c.Sequence);
            w.WriteString("head", c.HeadHash);
            w.WriteString("time", c.Time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            w.WriteNumber("prevSeq", c.PreviousSequence);
            if (c.PreviousCheckpointHash is not null)
            {
                w.WriteString("prev", c.PreviousCheckpointHash);
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static AuditCheckpoint Deserialize(byte[] payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var e = doc.RootElement;
        if (e.GetProperty("v").GetInt32() != 1)
        {
            throw new FormatException("unknown checkpoint version");
        }

        return new AuditCheckpoint(
            e.GetProperty("node").GetString()!,
            e.GetProperty("seq").GetInt64(),
            e.GetProperty("head").GetString()!,
            DateTimeOffset.Parse(e.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            e.GetProperty("prevSeq").GetInt64(),
            e.TryGetProperty("prev", out var p) ? p.GetString() : null);
    }
}

/// <summary>What a checkpoint attests: node <paramref name="Node"/> had records 1..<paramref name="Sequence"/> ending with <paramref name="HeadHash"/>.</summary>
internal sealed record AuditCheckpoint(string Node, long Sequence, string HeadHash, DateTimeOffset Time, long PreviousSequence, string? PreviousCheckpointHash);
