namespace Hds.Storage.Benchmarks.E2e;

/// <summary>
/// A forward-only stream of <c>length</c> pseudo-random bytes generated from a 4 MiB random block (rotated per block so no two
/// blocks repeat exactly): a large object's content without holding it in memory.
/// </summary>
internal sealed class PatternStream(long length) : Stream
{
    private const int BlockSize = 4 * 1024 * 1024;
    private static readonly byte[] Block = CreateBlock();
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Fills <paramref name="target"/> with the bytes at <paramref name="offset"/>.</summary>
    public static void Fill(long offset, Span<byte> target)
    {
        while (target.Length > 0)
        {
            var inBlock = (int)(offset % BlockSize);
            var rotate = (int)((offset / BlockSize * 7919) % BlockSize);
            var start = (inBlock + rotate) % BlockSize;
            var take = Math.Min(target.Length, Math.Min(BlockSize - inBlock, BlockSize - start));
            Block.AsSpan(start, take).CopyTo(target);
            target = target[take..];
            offset += take;
        }
    }

    public override int Read(Span<byte> buffer)
    {
        var take = (int)Math.Min(buffer.Length, length - _position);
        Fill(_position, buffer[..take]);
        _position += take;
        return take;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private static byte[] CreateBlock()
    {
        var block = new byte[BlockSize];
        new Random(20240601).NextBytes(block);
        return block;
    }
}
