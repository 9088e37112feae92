using System.Security.Cryptography;
using System.Text.Json;
using Hds.Storage.Encryption;
using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests.Encryption;

/// <summary>
/// The committed vectors (Encryption/vectors/*.json) pin format 1 byte for byte: every input is given (KEK, data key, salt, nonce
/// prefix, identity, segment size), with the intermediate values of docs/format.md so an independent implementation can check each
/// step. Regenerate only for a new format version: HDS_WRITE_VECTORS=1 dotnet test (then review the diff).
/// </summary>
public sealed class KnownAnswerTests
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    private static readonly string VectorDirectory = Path.Combine(AppContext.BaseDirectory, "Encryption", "vectors");

    public static TheoryData<string> Vectors() => new(Cases().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Committed_vector_decrypts_to_its_plaintext(string name)
    {
        var v = Load(name);
        var keys = new TestKeyProvider(v.KekId, Convert.FromHexString(v.Kek));
        var codec = new FormatV1(keys, v.SegmentSize);
        var (released, error, seal) = await Codec.DecodeAsync(codec, Convert.FromHexString(v.Stored), new ObjectIdentity(v.Tenant, v.Key));
        Assert.Null(error);
        Assert.Equal(v.Plaintext, Convert.ToHexStringLower(released));
        Assert.Equal(v.PlaintextSha256, Convert.ToHexStringLower(seal!.PlaintextSha256));
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Deterministic_encryption_reproduces_the_committed_bytes_and_intermediate_values(string name)
    {
        var v = Load(name);
        var produced = await ProduceAsync(Cases().Single(c => c.Name == name));
        Assert.Equal(v.Stored, produced.Stored);
        Assert.Equal(v.WrappedDek, produced.WrappedDek);
        Assert.Equal(v.SegmentKey, produced.SegmentKey);
        Assert.Equal(v.HeaderKey, produced.HeaderKey);
        Assert.Equal(v.Commitment, produced.Commitment);
        Assert.Equal(v.Context, produced.Context);
    }

    [Fact]
    public async Task Write_vectors_when_asked()
    {
        if (Environment.GetEnvironmentVariable("HDS_WRITE_VECTORS") != "1")
        {
            return;
        }

        var target = Path.Combine(FindRepositoryTestDirectory(), "Encryption", "vectors");
        Directory.CreateDirectory(target);
        foreach (var c in Cases())
        {
            var vector = await ProduceAsync(c);
            await File.WriteAllTextAsync(Path.Combine(target, c.Name + ".json"), JsonSerializer.Serialize(vector, Json) + "\n", TestContext.Current.CancellationToken);
        }
    }

    private static IEnumerable<Case> Cases()
    {
        static byte[] Bytes(int length, byte start) => Enumerable.Range(0, length).Select(i => (byte)(start + i)).ToArray();
        var kek = Bytes(32, 0x00);
        var dek = Bytes(32, 0x20);
        var salt = Bytes(32, 0x40);
        var prefix = Bytes(7, 0x60);
        yield return new Case("v1-empty", "Empty content: one final segment holding only the trailer.", "tenant-a", "requests/2025/0001.pdf", 4096, kek, dek, salt, prefix, []);
        yield return new Case("v1-short", "Short content in one final segment.", "tenant-a", "requests/2025/0001.pdf", 4096, kek, dek, salt, prefix, "Bonjour, HDS."u8.ToArray());
        yield return new Case("v1-exact-two-segments", "Content of exactly two segments: the second (final) segment is full.", "msa", "aid/2025/file-42", 4096, kek, dek, salt, prefix, Bytes(8192, 0x07));
        yield return new Case("v1-three-segments-unicode-key", "Three segments, the last partial; non-ASCII object key (UTF-8 in the context).", "ratp", "dossiers/é/✓-0003", 4096, Bytes(32, 0x80), Bytes(32, 0xA0), Bytes(32, 0xC0), Bytes(7, 0xE0), Bytes(10000, 0x33));
    }

    private static async Task<Vector> ProduceAsync(Case c)
    {
        var randomness = new Queue<byte[]>([c.Dek, c.Salt, c.NoncePrefix]);
        var keys = new TestKeyProvider("kek-vector-1", c.Kek);
        var codec = new FormatV1(keys, c.SegmentSize, span => randomness.Dequeue().CopyTo(span));
        var identity = new ObjectIdentity(c.Tenant, c.Key);
        var (stored, seal) = await Codec.EncodeAsync(codec, c.Plaintext, identity);
        using var derived = FormatV1.Derive(c.Dek, c.Salt, identity);
        using var aes = Aes.Create();
        aes.Key = c.Kek;
        return new Vector(
            c.Name, c.Description, 1, c.SegmentSize, c.Tenant, c.Key, "kek-vector-1", Hex(c.Kek), Hex(c.Dek), Hex(c.Salt), Hex(c.NoncePrefix),
            Hex(aes.EncryptKeyWrapPadded(c.Dek)), Hex(FormatV1.EncodeContext(identity)), Hex(derived.SegmentKey), Hex(derived.HeaderKey), Hex(derived.Commitment),
            Hex(c.Plaintext), Hex(seal.PlaintextSha256), Hex(stored));
    }

    private static Vector Load(string name) =>
        JsonSerializer.Deserialize<Vector>(File.ReadAllText(Path.Combine(VectorDirectory, name + ".json")), Json)!;

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string FindRepositoryTestDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hds.Storage.Tests.csproj")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Run from the test project's output directory.");
    }

    private sealed record Case(
        string Name, string Description, string Tenant, string Key, int SegmentSize, byte[] Kek, byte[] Dek, byte[] Salt, byte[] NoncePrefix, byte[] Plaintext);

    private sealed record Vector(
        string Name,
        string Description,
        int FormatVersion,
        int SegmentSize,
        string Tenant,
        string Key,
        string KekId,
        string Kek,
        string Dek,
        string Salt,
        string NoncePrefix,
        string WrappedDek,
        string Context,
        string SegmentKey,
        string HeaderKey,
        string Commitment,
        string Plaintext,
        string PlaintextSha256,
        string Stored);
}
