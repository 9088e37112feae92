using System.Buffers;
using Hds.Storage.Encryption;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// The stored bytes of one version, read as consecutive ranges of <c>chunkSize</c> bytes fetched up to <c>maxConcurrency</c> at
/// once into pooled buffers and returned strictly in order. The first range is the body of the request that opened the read
/// (streamed, not buffered); later ranges are pinned to the same version. This stream only moves stored bytes: the decoder
/// above it still verifies every segment before releasing plaintext. Memory: at most <c>maxConcurrency + 1</c> chunk buffers.
/// </summary>
internal sealed class ParallelRangeReadStream : ReadOnlyForwardStream
{
    /// <summary>Fills <paramref name="target"/> with the stored bytes at <paramref name="offset"/>, or throws.</summary>
    public delegate Task FetchRange(long offset, Memory<byte> target, CancellationToken cancellationToken);

    private readonly Queue<Pending> _ahead = new();
    private readonly CancellationTokenSource _cts = new();
    private readonly FetchRange _fetch;
    private readonly ArrayPool<byte> _pool;
    private readonly long _totalLength;
    private readonly int _chunkSize;
    private readonly int _maxConcurrency;
    private Stream? _first;
    private long _firstRemaining;
    private long _nextOffset;
    private byte[]? _current;
    private int _currentOffset;
    private int _currentCount;
    private bool _disposed;

    public ParallelRangeReadStream(Stream first, long firstLength, long totalLength, int chunkSize, int maxConcurrency, ArrayPool<byte> pool, FetchRange fetch)
    {
        _pool = pool;
        _first = first;
        _firstRemaining = firstLength;
        _nextOffset = firstLength;
        _totalLength = totalLength;
        _chunkSize = chunkSize;
        _maxConcurrency = maxConcurrency;
        _fetch = fetch;
    }

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("Use ReadAsync.");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.Length == 0)
        {
            return 0;
        }

        Schedule();
        if (_first is { } first)
        {
            var want = (int)Math.Min(buffer.Length, _firstRemaining);
            var got = await first.ReadAsync(buffer[..want], cancellationToken).ConfigureAwait(false);
            if (got == 0)
            {
                throw new HdsBackendUnavailableException("The S3 endpoint ended the response before the requested range was complete.");
            }

            _firstRemaining -= got;
            if (_firstRemaining == 0)
            {
                _first = null;
                await first.DisposeAsync().ConfigureAwait(false);
            }

            return got;
        }

        if (_currentCount == 0)
        {
            ReturnCurrent();
            if (!_ahead.TryPeek(out var next))
            {
                return 0;
            }

            await next.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            _ahead.Dequeue();
            _current = next.Buffer;
            _currentOffset = 0;
            _currentCount = next.Length;
            Schedule();
        }

        var take = Math.Min(buffer.Length, _currentCount);
        _current.AsSpan(_currentOffset, take).CopyTo(buffer.Span);
        _currentOffset += take;
        _currentCount -= take;
        return take;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _cts.Cancel();
            _first?.Dispose();
            ReturnCurrent();

            // A fetch still running owns its buffer until it ends: return it to the pool then, without blocking here.
            while (_ahead.TryDequeue(out var pending))
            {
                var owned = pending.Buffer;
                _ = pending.Task.ContinueWith(_ => _pool.Return(owned), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            _cts.Dispose();
        }

        base.Dispose(disposing);
    }

    // Keeps maxConcurrency ranges in flight or waiting ahead of the one being read.
    private void Schedule()
    {
        while (_ahead.Count < _maxConcurrency && _nextOffset < _totalLength)
        {
            var length = (int)Math.Min(_chunkSize, _totalLength - _nextOffset);
            var buffer = _pool.Rent(_chunkSize);
            var offset = _nextOffset;
            var token = _cts.Token;
            _ahead.Enqueue(new Pending(Task.Run(() => _fetch(offset, buffer.AsMemory(0, length), token), token), buffer, length));
            _nextOffset += length;
        }
    }

    private void ReturnCurrent()
    {
        if (_current is { } current)
        {
            _pool.Return(current);
            _current = null;
            _currentCount = 0;
        }
    }

    private readonly record struct Pending(Task Task, byte[] Buffer, int Length);
}
