using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Hds.Storage.Encryption;
using Hds.Storage.Keys;
using Hds.Storage.Models;

namespace Hds.Storage.Benchmarks;

/// <summary>
/// Format 1 pipelines (encrypt + SHA-256 digest, decrypt + verify) against the bare primitives (AES-256-GCM + SHA-256) over the
/// same buffers and segment size, single-threaded: the Ratio column is pipeline time / primitives time (target ≤ 1/0.85 = 1.18).
/// </summary>
[Config(typeof(Config))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class PipelineBenchmarks
{
    internal const int PayloadBytes = 64 * 1024 * 1024;
    private const int ReadBuffer = 8 * 1024 * 1024; // the S3 backend's part buffer size
    private byte[] _plaintext = [];
    private byte[] _stored = [];
    private StoredVersion _version;
    private byte[] _buffer = [];
    private byte[] _segmentOut = [];
    private FormatV1 _codec = null!;
    private byte[] _primitiveStored = [];
    private readonly byte[] _primitiveKey = RandomNumberGenerator.GetBytes(32);
    private readonly ObjectIdentity _identity = new("tenant-a", "bench/object");

    [Params(64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024)]
    public int SegmentSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _plaintext = new byte[PayloadBytes];
        new Random(42).NextBytes(_plaintext);
        _buffer = new byte[ReadBuffer];
        _segmentOut = new byte[SegmentSize + FormatV1.FinalOverhead];
        _codec = new FormatV1(new StaticKeyProvider(), SegmentSize);
        using var encoder = _codec.CreateEncoderAsync(new MemoryStream(_plaintext), _identity, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        using var output = new MemoryStream();
        encoder.CopyToAsync(output).GetAwaiter().GetResult();
        _stored = output.ToArray();
        _version = new StoredVersion(DateTimeOffset.UtcNow, encoder.Metadata); // as the storage would report it

        // The primitives' own ciphertext (segment || tag, same segmentation) so that their decryption succeeds like the pipeline's.
        using var aes = new AesGcm(_primitiveKey, 16);
        _primitiveStored = new byte[_plaintext.Length + (16 * SegmentCount())];
        Span<byte> nonce = stackalloc byte[12];
        for (var i = 0; i < SegmentCount(); i++)
        {
            var segment = _plaintext.AsSpan(i * SegmentSize, Math.Min(SegmentSize, _plaintext.Length - (i * SegmentSize)));
            var destination = _primitiveStored.AsSpan(i * (SegmentSize + 16), segment.Length + 16);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(nonce[7..], i);
            aes.Encrypt(nonce, segment, destination[..segment.Length], destination[segment.Length..]);
        }
    }

    [Benchmark(Baseline = true), BenchmarkCategory("encrypt")]
    public byte[] Primitives_encrypt_and_sha256()
    {
        using var aes = new AesGcm(_primitiveKey, 16);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> nonce = stackalloc byte[12];
        var tag = _segmentOut.AsSpan(SegmentSize, 16);
        for (var offset = 0; offset < _plaintext.Length; offset += SegmentSize)
        {
            var segment = _plaintext.AsSpan(offset, Math.Min(SegmentSize, _plaintext.Length - offset));
            sha.AppendData(segment);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(nonce[7..], offset / SegmentSize);
            aes.Encrypt(nonce, segment, _segmentOut.AsSpan(0, segment.Length), tag);
        }

        return sha.GetHashAndReset();
    }

    [Benchmark, BenchmarkCategory("encrypt")]
    public async Task<long> Pipeline_encrypt_and_digest()
    {
        await using var encoder = await _codec.CreateEncoderAsync(new MemoryStream(_plaintext, writable: false), _identity, CancellationToken.None);
        long total = 0;
        int n;
        while ((n = await encoder.ReadAsync(_buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    [Benchmark(Baseline = true), BenchmarkCategory("decrypt")]
    public byte[] Primitives_decrypt_and_sha256()
    {
        using var aes = new AesGcm(_primitiveKey, 16);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> nonce = stackalloc byte[12];
        for (var i = 0; i < SegmentCount(); i++)
        {
            var length = Math.Min(SegmentSize, _plaintext.Length - (i * SegmentSize));
            var segment = _primitiveStored.AsSpan(i * (SegmentSize + 16), length + 16);
            var plain = _segmentOut.AsSpan(0, length);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(nonce[7..], i);
            aes.Decrypt(nonce, segment[..length], segment[length..], plain);
            sha.AppendData(plain);
        }

        return sha.GetHashAndReset();
    }

    [Benchmark, BenchmarkCategory("decrypt")]
    public async Task<long> Pipeline_decrypt_and_verify()
    {
        await using var decoder = await _codec.CreateDecoderAsync(new MemoryStream(_stored, writable: false), _identity, _version, CancellationToken.None);
        long total = 0;
        int n;
        while ((n = await decoder.ReadAsync(_buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    private int SegmentCount() => (int)(((long)_plaintext.Length + SegmentSize - 1) / SegmentSize);

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new ThroughputColumn());
        }
    }

    /// <summary>Plaintext MB/s on one core (10^6 bytes per second).</summary>
    private sealed class ThroughputColumn : IColumn
    {
        public string Id => "MBps";

        public string ColumnName => "MB/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => 0;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Plaintext megabytes (10^6 bytes) per second, one core";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var report = summary[benchmarkCase];
            var mean = report?.ResultStatistics?.Mean;
            return mean is > 0 ? (PayloadBytes / (mean.Value / 1e9) / 1e6).ToString("F0", System.Globalization.CultureInfo.InvariantCulture) : "-";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }

    private sealed class StaticKeyProvider : HdsKeyEncryptionKeyProvider
    {
        private readonly byte[] _kek = RandomNumberGenerator.GetBytes(32);

        public override ValueTask<HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken)
        {
            using var aes = Aes.Create();
            aes.Key = _kek;
            return ValueTask.FromResult(new HdsWrappedDataKey("bench", aes.EncryptKeyWrapPadded(dataKey.Span)));
        }

        public override ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken)
        {
            using var aes = Aes.Create();
            aes.Key = _kek;
            return ValueTask.FromResult(aes.DecryptKeyWrapPadded(wrappedDataKey.Span));
        }
    }
}
