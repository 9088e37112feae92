using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Audit;
using Hds.Storage.Encryption;
using Hds.Storage.Keys;
using Hds.Storage.Models;

namespace Hds.Storage.Fuzz;

/// <summary>
/// The fuzz targets, shared by the SharpFuzz harness (Program.cs) and the bounded replay in tests/Hds.Storage.Tests
/// (Fuzz/FuzzReplayTests.cs, which links this file). Each target feeds attacker-controlled bytes to one parser and lets only the
/// documented failure through: <see cref="HdsStorageException"/> (integrity failures included). Any other exception, a crash or a
/// hang is a finding.
/// </summary>
internal static class FuzzTargets
{
    public const string KekId = "fuzz-kek-1";

    // A fixed KEK and fixed randomness: the committed corpus holds objects that decrypt under it, so mutations reach the segments.
    public static readonly byte[] Kek = Enumerable.Range(0, 32).Select(i => (byte)(i * 7 + 3)).ToArray();
    // Nothing of Hds.Storage may run in a static initializer: under AFL, instrumented code must not run before Fuzzer.OutOfProcess.Run.
    private static readonly Lazy<ObjectIdentity> LazyIdentity = new(() => new("tenant-fuzz", "requests/0001.pdf"));
    public const int SegmentSize = FormatV1.MinSegmentSize;

    private static readonly Lazy<FormatV1> Codec = new(() => new FormatV1(new FixedKeyProvider(), SegmentSize, Deterministic));
    private static readonly Lazy<X509Certificate2> Signer = new(CreateSigner);
    private static readonly Lazy<KeyRingStore> Store = new(() => new KeyRingStore(null!, [Signer.Value], TimeSpan.FromDays(1), TimeProvider.System));

    public static ObjectIdentity Identity => LazyIdentity.Value;

    public static IReadOnlyList<string> Names { get; } = ["header", "object", "keyring", "audit"];

    /// <summary>The certificate key-ring entries of the "keyring" target must be signed by (made per process).</summary>
    public static X509Certificate2 KeyRingSigner => Signer.Value;

    public static Action<byte[]> Get(string name) => name switch
    {
        "header" => Header,
        "object" => Object,
        "keyring" => KeyRingEntry,
        "audit" => AuditLog,
        _ => throw new ArgumentException("unknown fuzz target " + name, nameof(name)),
    };

    /// <summary>Format 1 header parser: prefix check, then the structural parse (docs/format.md §2, §5 steps 1–2).</summary>
    public static void Header(byte[] data)
    {
        Expect(() =>
        {
            if (data.Length >= FormatV1Header.FixedPrefixLength)
            {
                FormatV1Header.ReadLength(data);
            }

            FormatV1Header.Parse(data);
        });
    }

    /// <summary>A whole stored object: full streaming decode, then a ranged read chosen from the data, under the fixed KEK.</summary>
    public static void Object(byte[] data)
    {
        Expect(() =>
        {
            using var decoder = Codec.Value.CreateDecoderAsync(new MemoryStream(data, writable: false), Identity, AsWritten(data), CancellationToken.None)
                .AsTask().GetAwaiter().GetResult();
            Drain(decoder);
        });
        Expect(() =>
        {
            var offset = data.Length > 0 ? data[^1] * 61L : 0;
            var length = data.Length > 1 ? data[^2] * 97L + 1 : 1;
            var prefix = data.AsMemory(0, Math.Min(FormatV1Header.MaxHeaderLength, data.Length));
            using var plan = Codec.Value.OpenRangeAsync(prefix, data.Length, Identity, AsWritten(data), offset, length, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (plan.PendingFinalSegment is { } f)
            {
                plan.VerifyFinalSegment(data.AsSpan((int)f.Offset, (int)f.Length));
            }

            Stream body = Stream.Null;
            if (plan.StoredRange is { } r)
            {
                var start = (int)Math.Min(r.Offset, data.Length);
                var end = (int)Math.Min(r.Offset + r.Length, data.Length);
                body = new MemoryStream(data, start, end - start, writable: false);
            }

            using var decoder = plan.CreateDecoder(body);
            Drain(decoder);
        });
    }

    /// <summary>What a storage reports for the version as the writer stored it: its write id in the metadata, dated when written.</summary>
    internal static StoredVersion AsWritten(byte[] stored)
    {
        try
        {
            var length = FormatV1Header.ReadLength(stored);
            if (stored.Length >= length && FormatV1Header.Parse(stored.AsSpan(0, length)) is { Version: FormatV1.Version2 } header)
            {
                return new StoredVersion(
                    DateTimeOffset.FromUnixTimeMilliseconds(header.WrittenAtMs),
                    new Dictionary<string, string> { [Hds.Storage.Objects.MetadataNames.WriteId] = Convert.ToHexStringLower(header.WriteId) });
            }
        }
        catch (Exception ex) when (ex is HdsIntegrityException or ArgumentOutOfRangeException)
        {
        }

        return new StoredVersion(DateTimeOffset.UnixEpoch, new Dictionary<string, string>());
    }

    /// <summary>The decrypted content of a key-ring entry: signature check (SignedData), then the "HDSK" payload parser.</summary>
    public static void KeyRingEntry(byte[] data)
    {
        Expect(() => Zero(Store.Value.OpenContent(KekId, data).Kek));
        Expect(() => Zero(KeyRingStore.OpenPayload(KekId, data).Kek));
    }

    /// <summary>An audit segment (canonical JSON lines, hash-checked) and a signed checkpoint: the verifier reports problems, it never throws.</summary>
    public static void AuditLog(byte[] data)
    {
        foreach (var (record, problem) in AuditLogVerifier.ParseLines(data))
        {
            if ((record is null) == (problem is null))
            {
                throw new InvalidOperationException("ParseLines must return a record or a problem.");
            }
        }

        var checkpoint = CheckpointSigner.TryVerify(data, [Signer.Value], out var reason);
        if ((checkpoint is null) == (reason is null))
        {
            throw new InvalidOperationException("TryVerify must return a checkpoint or a problem.");
        }
    }

    /// <summary>Valid inputs for each target: the seed corpus (written to tests/Hds.Storage.Fuzz/corpus by `-- seed`).</summary>
    public static IEnumerable<(string Target, string Name, byte[] Data)> Seeds()
    {
        foreach (var size in new[] { 0, 1, 100, SegmentSize - 1, SegmentSize, SegmentSize + 1, (2 * SegmentSize) + 17 })
        {
            var plaintext = Enumerable.Range(0, size).Select(i => (byte)(i * 31)).ToArray();
            var stored = Encode(plaintext);
            yield return ("object", $"object-{size}", stored);
            var headerLength = BinaryPrimitives.ReadUInt16BigEndian(stored.AsSpan(6));
            yield return ("header", $"header-{size}", stored[..headerLength]);
        }

        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var entry = new HdsKeyRingEntry { Id = KekId, CreatedAt = now, ActivatesAt = now, ExpiresAt = now.AddDays(90), RecipientThumbprints = ["AB", "CD"] };
        yield return ("keyring", "payload", KeyRingPayload.Encode(entry, Kek));
        yield return ("keyring", "payload-revoked", KeyRingPayload.Encode(entry with { RevokedAt = now.AddDays(1) }, Kek));
        yield return ("keyring", "signed", SignPayload(KeyRingPayload.Encode(entry, Kek)));

        var lines = new List<byte>();
        var previous = AuditRecordCodec.GenesisHash;
        for (var i = 1; i <= 3; i++)
        {
            var record = AuditRecordCodec.Chain(
                new HdsAuditRecord
                {
                    Time = now.AddSeconds(i),
                    Operation = Models.HdsOperation.Put,
                    Outcome = HdsAuditOutcome.Succeeded,
                    ActorId = "agent-1",
                    Tenant = "tenant-fuzz",
                    Purpose = "care",
                    Key = "requests/0001.pdf",
                    VersionId = "v" + i,
                    Size = 100 * i,

                    // The last record carries the members of record version 2, the others are version 1.
                    KeyId = i == 3 ? KekId : null,
                    Site = "site-a",
                    FoundAfterLostAnswer = i == 3,
                },
                "node-1",
                i,
                previous);
            previous = record.Hash!;
            lines.AddRange(AuditRecordCodec.ToLine(record));
            lines.Add((byte)'\n');
        }

        yield return ("audit", "segment", lines.ToArray());
        yield return ("audit", "checkpoint", CheckpointSigner.Sign(Signer.Value, new AuditCheckpoint("node-1", 3, previous, now, 0, null)));
    }

    /// <summary>Signs a payload like the key ring does, with <see cref="KeyRingSigner"/>.</summary>
    public static byte[] SignPayload(byte[] payload)
    {
        var signed = new System.Security.Cryptography.Pkcs.SignedCms(new System.Security.Cryptography.Pkcs.ContentInfo(payload));
        signed.ComputeSignature(new System.Security.Cryptography.Pkcs.CmsSigner(Signer.Value), silent: true);
        return signed.Encode();
    }

    public static byte[] Encode(byte[] plaintext)
    {
        using var encoder = Codec.Value.CreateEncoderAsync(new MemoryStream(plaintext), Identity, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        using var output = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = encoder.ReadAsync(buffer).AsTask().GetAwaiter().GetResult()) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    private static void Drain(Stream stream)
    {
        var buffer = new byte[8192];
        while (stream.ReadAsync(buffer).AsTask().GetAwaiter().GetResult() > 0)
        {
        }
    }

    private static void Expect(Action action)
    {
        try
        {
            action();
        }
        catch (HdsStorageException)
        {
            // The documented outcome for bad bytes.
        }
    }

    private static void Zero(byte[] key) => CryptographicOperations.ZeroMemory(key);

    private static void Deterministic(Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (byte)(i * 13 + 5);
        }
    }

    private static X509Certificate2 CreateSigner()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=hds-fuzz-key-ring", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet);
    }

    private sealed class FixedKeyProvider : HdsKeyEncryptionKeyProvider
    {
        public override ValueTask<HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken)
        {
            using var aes = Aes.Create();
            aes.Key = Kek;
            return ValueTask.FromResult(new HdsWrappedDataKey(KekId, aes.EncryptKeyWrapPadded(dataKey.Span)));
        }

        public override ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken)
        {
            if (!string.Equals(keyId, KekId, StringComparison.Ordinal))
            {
                throw FormatV1.Corrupt("unknown key id");
            }

            using var aes = Aes.Create();
            aes.Key = Kek;
            return ValueTask.FromResult(aes.DecryptKeyWrapPadded(wrappedDataKey.Span));
        }
    }
}
