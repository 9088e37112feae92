using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hds.Storage.Encryption;

/// <summary>
/// Format 0, the walking skeleton's: content followed by a 44-byte trailer (length, SHA-256, magic). It proves the data path and
/// the integrity checks end to end; it does not encrypt and releases bytes before the trailer is checked. Format 1 replaces it.
/// </summary>
internal sealed class IntegrityOnlyCodec : ContentCodec
{
    internal const int FormatVersion = 0;
    private const int TrailerLength = 8 + 32 + 4;
    private static ReadOnlySpan<byte> Magic => "HDS0"u8;

    public override ValueTask<ContentEncoder> CreateEncoderAsync(Stream plaintext, ObjectIdentity identity, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ContentEncoder>(new Encoder(plaintext));

    public override ValueTask<ContentDecoder> CreateDecoderAsync(
        Stream stored, ObjectIdentity identity, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ContentDecoder>(new Decoder(stored));

    private sealed class Encoder(Stream plaintext) : ContentEncoder
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _trailer = new byte[TrailerLength];
        private long _length;
        private int _trailerSent = -1;
        private ContentSeal? _seal;

        public override IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string> { [Objects.MetadataNames.Format] = "0" };

        public override ContentSeal? Seal => _seal;

        public override int Read(Span<byte> buffer) => throw new NotSupportedException("Use ReadAsync.");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_trailerSent < 0)
            {
                var n = await plaintext.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n > 0)
                {
                    _sha.AppendData(buffer.Span[..n]);
                    _length += n;
                    return n;
                }

                var digest = _sha.GetHashAndReset();
                BinaryPrimitives.WriteInt64BigEndian(_trailer, _length);
                digest.CopyTo(_trailer.AsSpan(8));
                Magic.CopyTo(_trailer.AsSpan(40));
                _trailerSent = 0;
                _seal = new ContentSeal(_length, digest, _length + TrailerLength, null, FormatVersion);
            }

            var take = Math.Min(buffer.Length, TrailerLength - _trailerSent);
            _trailer.AsSpan(_trailerSent, take).CopyTo(buffer.Span);
            _trailerSent += take;
            return take;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _sha.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class Decoder(Stream stored) : ContentDecoder
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly byte[] _buffer = new byte[81920];
        private int _count;
        private bool _eof;
        private long _length;
        private ContentSeal? _seal;

        public override ContentSeal? Seal => _seal;

        public override int Read(Span<byte> buffer) => throw new NotSupportedException("Use ReadAsync.");

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.Length == 0 || _seal is not null)
            {
                return 0;
            }

            // Hold back the last TrailerLength bytes: they are the trailer, not content.
            while (!_eof && _count <= TrailerLength)
            {
                var n = await stored.ReadAsync(_buffer.AsMemory(_count), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    _eof = true;
                }

                _count += n;
            }

            if (_count > TrailerLength)
            {
                var take = Math.Min(buffer.Length, _count - TrailerLength);
                _buffer.AsSpan(0, take).CopyTo(buffer.Span);
                _sha.AppendData(_buffer.AsSpan(0, take));
                _length += take;
                _buffer.AsSpan(take, _count - take).CopyTo(_buffer);
                _count -= take;
                return take;
            }

            Verify();
            return 0;
        }

        private void Verify()
        {
            var digest = _sha.GetHashAndReset();
            var trailer = _buffer.AsSpan(0, _count);
            if (_count != TrailerLength
                || !trailer[40..].SequenceEqual(Magic)
                || BinaryPrimitives.ReadInt64BigEndian(trailer) != _length
                || !CryptographicOperations.FixedTimeEquals(trailer.Slice(8, 32), digest))
            {
                throw new HdsIntegrityException("The stored object failed verification: it is truncated, extended or altered.");
            }

            _seal = new ContentSeal(_length, digest, _length + TrailerLength, null, FormatVersion);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _sha.Dispose();
                stored.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
