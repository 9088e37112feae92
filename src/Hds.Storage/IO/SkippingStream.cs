using System.Buffers;

namespace Hds.Storage.IO;

/// <summary>A forward-only stream that drops the first <c>skip</c> bytes of another one (a speculative range fetched wider than needed).</summary>
internal sealed class SkippingStream(Stream inner, long skip) : ReadOnlyForwardStream
{
    private long _skip = skip;

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("Use ReadAsync.");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_skip > 0)
        {
            var scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(_skip, 64 * 1024));
            try
            {
                while (_skip > 0)
                {
                    var n = await inner.ReadAsync(scratch.AsMemory(0, (int)Math.Min(_skip, scratch.Length)), cancellationToken).ConfigureAwait(false);
                    if (n == 0)
                    {
                        return 0;
                    }

                    _skip -= n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }

        return await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
