using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

/// <summary>
/// Known-answer vectors of the audit trail (docs/format.md §12): a small chain of one node (records of format versions 1, 2 and 3,
/// with strings that exercise the escaping rules), the segment holding it and the signed checkpoint enrolling the node. Verified
/// here as an independent verifier would: canonical bytes, hashes, links, the CMS signature and its payload. The file is
/// regenerated only on purpose (HDS_WRITE_AUDIT_VECTORS=1): a change of the stored bytes is a format change.
/// </summary>
public sealed class AuditVectorTests
{
    private const string Node = "n0123456789abcdef";
    private static readonly string VectorFile = Path.Combine(AppContext.BaseDirectory, "Audit", "vectors", "chain-with-checkpoint.json");

    [Fact]
    public void The_vector_chain_verifies_byte_for_byte()
    {
        if (Environment.GetEnvironmentVariable("HDS_WRITE_AUDIT_VECTORS") == "1")
        {
            Write();
        }

        var vector = JsonNode.Parse(File.ReadAllText(VectorFile))!;
        var previous = AuditRecordCodec.GenesisHash;
        var segment = new StringBuilder();
        long sequence = 0;
        foreach (var entry in vector["records"]!.AsArray())
        {
            var line = entry!["line"]!.GetValue<string>();
            var canonical = entry["canonical"]!.GetValue<string>();
            var hash = entry["hash"]!.GetValue<string>();

            // The hash is SHA-256 over the canonical form without "hash"; the stored line appends ,"hash":"..." before the closing brace.
            Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
            Assert.Equal(canonical[..^1] + ",\"hash\":\"" + hash + "\"}", line);
            var record = AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(line), out var problem);
            Assert.True(record is not null, problem);
            Assert.Equal(canonical, Encoding.UTF8.GetString(AuditRecordCodec.Canonical(record! with { Hash = null })));
            Assert.Equal((Node, ++sequence, previous), (record.Node, record.Sequence, record.PreviousHash));
            previous = hash;
            segment.Append(line).Append('\n');
        }

        Assert.Equal(vector["segment"]!.GetValue<string>(), segment.ToString());
        var records = AuditLogVerifier.ParseLines(Encoding.UTF8.GetBytes(segment.ToString())).Select(r => r.Record!).ToList();
        Assert.Equal(vector["segmentKey"]!.GetValue<string>(), AuditStore.SegmentKey(Node, 1, records[^1].Sequence, records[0].Time, records[^1].Time));

        // The checkpoint: CMS SignedData, encapsulated id-data content = the payload bytes, signed by the (trusted) certificate.
        var certificate = X509Certificate2.CreateFromPem(vector["signerCertificate"]!.GetValue<string>());
        var signed = Convert.FromBase64String(vector["checkpoint"]!.GetValue<string>());
        var cms = new SignedCms();
        cms.Decode(signed);
        cms.CheckSignature(new X509Certificate2Collection(certificate), verifySignatureOnly: true);
        Assert.Equal("1.2.840.113549.1.7.1", cms.ContentInfo.ContentType.Value);
        Assert.Equal(vector["checkpointPayload"]!.GetValue<string>(), Encoding.UTF8.GetString(cms.ContentInfo.Content));
        Assert.Equal(certificate.RawData, cms.SignerInfos[0].Certificate!.RawData);
        var checkpoint = CheckpointSigner.TryVerify(signed, [certificate], out var checkpointProblem);
        Assert.True(checkpoint is not null, checkpointProblem);
        Assert.Equal((Node, records[^1].Sequence, previous, 0L, (string?)null), (checkpoint!.Node, checkpoint.Sequence, checkpoint.HeadHash, checkpoint.PreviousSequence, checkpoint.PreviousCheckpointHash));
        Assert.Equal(vector["checkpointKey"]!.GetValue<string>(), AuditStore.CheckpointKey(Node, checkpoint.Sequence));
        Assert.Equal(vector["checkpointSha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(signed)));

        // Not trusted without the configured certificate, whatever certificate the CMS carries.
        Assert.Null(CheckpointSigner.TryVerify(signed, [], out _));

        // The same bytes as files, for tools (openssl cms -verify -inform DER -binary -in ….p7s -CAfile ….signer.pem).
        var directory = Path.GetDirectoryName(VectorFile)!;
        Assert.Equal(segment.ToString(), File.ReadAllText(Path.Combine(directory, "chain-with-checkpoint.segment.jsonl")));
        Assert.Equal(signed, File.ReadAllBytes(Path.Combine(directory, "chain-with-checkpoint.checkpoint.p7s")));
        Assert.Equal(vector["signerCertificate"]!.GetValue<string>(), File.ReadAllText(Path.Combine(directory, "chain-with-checkpoint.signer.pem")));
    }

    private static void Write()
    {
        var time = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        HdsAuditRecord Base(int second, HdsOperation op) => new()
        {
            Time = time.AddSeconds(second).AddTicks(1234567),
            Operation = op,
            Outcome = HdsAuditOutcome.Succeeded,
            ActorId = "agent-4711",
            ActorKind = "user",
            Role = "agent",
            Tenant = "msa",
            Purpose = "care",
            CorrelationId = "corr-\"1\"",
            Application = "app<&>'+`\\é€😀",
        };
        var entries = new[]
        {
            Base(0, HdsOperation.Put) with { Key = "docs/a.pdf", VersionId = "v-1", Size = 6, Sha256 = new string('a', 64), Site = "local" },
            Base(1, HdsOperation.RotateKey) with { ActorId = "officer-1", Purpose = "key-management", KeyId = "20261201T080000Z-0123456789ab" },
            Base(2, HdsOperation.Get) with { Key = "docs/a.pdf", VersionId = "v-1", Site = "local", TraceId = "0af7651916cd43dd8448eb211c80319c" },
            Base(3, HdsOperation.Get) with { Outcome = HdsAuditOutcome.IntegrityFailure, Reason = "Integrity", Key = "docs/a.pdf", VersionId = "v-1", Site = "local", TraceId = "0af7651916cd43dd8448eb211c80319c", Follows = 3 },
            Base(4, HdsOperation.SetLegalHold) with { Key = "docs/a.pdf", VersionId = "v-1", LegalHold = true, RetainUntil = new DateTimeOffset(2046, 12, 1, 8, 0, 0, TimeSpan.Zero) },
            Base(5, HdsOperation.ExtendRetention) with { Outcome = HdsAuditOutcome.Failed, Reason = "ObjectLocked", Key = "docs/a.pdf", VersionId = "v-1", RetainUntilRequested = new DateTimeOffset(2040, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        };
        var previous = AuditRecordCodec.GenesisHash;
        var records = new JsonArray();
        var segment = new StringBuilder();
        var chained = new List<HdsAuditRecord>();
        for (var i = 0; i < entries.Length; i++)
        {
            var record = AuditRecordCodec.Chain(entries[i], Node, i + 1, previous);
            chained.Add(record);
            var line = Encoding.UTF8.GetString(AuditRecordCodec.ToLine(record));
            records.Add(new JsonObject
            {
                ["canonical"] = Encoding.UTF8.GetString(AuditRecordCodec.Canonical(record with { Hash = null })),
                ["hash"] = record.Hash,
                ["line"] = line,
            });
            segment.Append(line).Append('\n');
            previous = record.Hash!;
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=hds-audit-vector-signer", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        using var certificate = request.CreateSelfSigned(time.AddDays(-1), time.AddYears(50));
        var checkpoint = new AuditCheckpoint(Node, chained[^1].Sequence, chained[^1].Hash!, time.AddSeconds(10), 0, null);
        var signed = CheckpointSigner.Sign(certificate, checkpoint);
        var cms = new SignedCms();
        cms.Decode(signed);
        var vector = new JsonObject
        {
            ["description"] = "One node's chain (records of format versions 1, 2 and 3; strings exercising the escaping rules), the segment storing it and the "
                + "signed checkpoint enrolling the node (prevSeq 0). docs/format.md §12.",
            ["node"] = Node,
            ["records"] = records,
            ["segmentKey"] = AuditStore.SegmentKey(Node, 1, chained[^1].Sequence, chained[0].Time, chained[^1].Time),
            ["segment"] = segment.ToString(),
            ["checkpointKey"] = AuditStore.CheckpointKey(Node, checkpoint.Sequence),
            ["checkpointPayload"] = Encoding.UTF8.GetString(cms.ContentInfo.Content),
            ["checkpoint"] = Convert.ToBase64String(signed),
            ["checkpointSha256"] = Convert.ToHexStringLower(SHA256.HashData(signed)),
            ["signerCertificate"] = certificate.ExportCertificatePem(),
        };
        var text = vector.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        foreach (var directory in new[] { Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Audit", "vectors"), Path.GetDirectoryName(VectorFile)! })
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "chain-with-checkpoint.json"), text);
            File.WriteAllText(Path.Combine(directory, "chain-with-checkpoint.segment.jsonl"), segment.ToString());
            File.WriteAllBytes(Path.Combine(directory, "chain-with-checkpoint.checkpoint.p7s"), signed);
            File.WriteAllText(Path.Combine(directory, "chain-with-checkpoint.signer.pem"), certificate.ExportCertificatePem());
        }
    }
}
