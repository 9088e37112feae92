using System.Buffers;
using System.Security.Cryptography;
using Hds.Storage.IO;

namespace Hds.Storage.Encryption;

/// <summary>
/// What the whole-object and the ranged format 1 decoders share: the caller gets bytes only from the output buffer, which a
/// subclass fills with one verified segment's plaintext at a time (<see cref="NextSegmentAsync"/>); after a failure the decoder
/// refuses every later read and the decrypted bytes are zeroed; the pooled buffers go back zeroed on dispose.
/// </summary>
internal abstract class SegmentDecoder(Stream stored, SegmentCipher cipher) : ContentDecoder
{
    private byte[]? _in;
    private byte[]? _out;
    private int _outOffset;
    private int _outCount;
    private bool _failed;

    protected Stream Stored { get; } = stored;

    protected SegmentCipher Cipher { get; } = cipher;

    /// <summary>Whether every segment this decoder reads was released.</summary>
    protected abstract bool Ended { get; }

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("Use ReadAsync.");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (true)
        {
            if (_failed)
            {
                throw FormatV1.Corrupt("The stored object already failed verification.");
            }

            if (_outCount > 0)
            {
                var take = Math.Min(buffer.Length, _outCount);
                _out.AsSpan(_outOffset, take).CopyTo(buffer.Span);
                _outOffset += take;
                _outCount -= take;
                return take;
            }

            if (Ended)
            {
                return 0;
            }

            await NextSegmentAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads, verifies and decrypts the next segment into <see cref="OutputBuffer"/>, then calls <see cref="Release"/>.</summary>
    protected abstract ValueTask NextSegmentAsync(CancellationToken cancellationToken);

    /// <summary>The stored-bytes buffer, rented on first use.</summary>
    protected byte[] InputBuffer(int minimumLength) => _in ??= ArrayPool<byte>.Shared.Rent(minimumLength);

    /// <summary>The plaintext buffer, rented on first use.</summary>
    protected byte[] OutputBuffer(int minimumLength) => _out ??= ArrayPool<byte>.Shared.Rent(minimumLength);

    /// <summary>Hands verified plaintext [offset, offset + count) of the output buffer to the caller.</summary>
    protected void Release(int offset, int count)
    {
        _outOffset = offset;
        _outCount = count;
    }

    /// <summary>Stops the decoder for good: nothing more is released and the decrypted bytes are zeroed.</summary>
    protected HdsIntegrityException Fail(string message)
    {
        _failed = true;
        _outCount = 0;
        if (_out is { } output)
        {
            CryptographicOperations.ZeroMemory(output);
        }

        return FormatV1.Corrupt(message);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_out is { } output)
            {
                CryptographicOperations.ZeroMemory(output);
                ArrayPool<byte>.Shared.Return(output);
                _out = null;
            }

            if (_in is { } input)
            {
                ArrayPool<byte>.Shared.Return(input);
                _in = null;
            }

            Cipher.Dispose();
            Stored.Dispose();
        }

        base.Dispose(disposing);
    }
}
