using System.Buffers;
using System.Collections.Concurrent;
using Hds.Storage.Backends.S3;

namespace Hds.Storage.Tests.Backends.S3;

public sealed class ParallelPartUploaderTests
{
    private const int PartSize = 64;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(64, 1000, 1)]
    [InlineData(64, 1000, 3)]
    [InlineData(64, 1000 - 64 - 1, 4)] // the body ends exactly on a part boundary
    [InlineData(200, 1000, 2)]         // the probe (threshold) is larger than a part: whole parts are cut from it
    [InlineData(10, 500, 2)]           // the probe is smaller than a part
    public async Task Parts_arrive_complete_and_in_order(int prefixLength, int restLength, int concurrency)
    {
        var content = Enumerable.Range(0, prefixLength + 1 + restLength).Select(i => (byte)(i * 7)).ToArray();
        var received = new ConcurrentDictionary<int, byte[]>();
        var (parts, length) = await UploadAsync(content, prefixLength, concurrency, async (n, data, ct) =>
        {
            await Task.Yield();
            received[n] = data.ToArray();
            return "etag-" + n;
        });

        Assert.Equal(content.Length, length);
        Assert.Equal(Enumerable.Range(1, parts.Count), parts.Select(p => p.PartNumber));
        Assert.Equal(parts.Select(p => "etag-" + p.PartNumber), parts.Select(p => p.ETag));
        Assert.All(parts.SkipLast(1), p => Assert.Equal(PartSize, received[p.PartNumber].Length));
        Assert.Equal(content, parts.SelectMany(p => received[p.PartNumber]).ToArray());
    }

    [Fact]
    public async Task No_more_parts_than_the_concurrency_are_in_flight_and_all_of_it_is_used()
    {
        const int concurrency = 3;
        var inFlight = 0;
        var maxInFlight = 0;
        var calls = 0;
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var content = new byte[(PartSize * 10) + 5];
        await UploadAsync(content, PartSize, concurrency, async (n, data, ct) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            if (now == concurrency)
            {
                full.TrySetResult();
            }

            // The first parts wait until the uploader has the whole concurrency in flight (proves the parallelism).
            if (Interlocked.Increment(ref calls) <= concurrency)
            {
                await full.Task.WaitAsync(ct);
            }

            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            return "e";
        });

        Assert.Equal(concurrency, maxInFlight);
    }

    [Fact]
    public async Task A_failing_part_fails_the_upload_with_its_own_exception_after_every_other_part_ended()
    {
        var running = 0;
        var endedWhileRunning = -1;
        var content = new byte[PartSize * 12];
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => UploadAsync(content, PartSize, 3, async (n, data, ct) =>
        {
            Interlocked.Increment(ref running);
            try
            {
                if (n == 3)
                {
                    throw new InvalidOperationException("part 3 refused");
                }

                await Task.Delay(Timeout.Infinite, ct); // only the cancellation ends the others
                return "e";
            }
            finally
            {
                Interlocked.Decrement(ref running);
            }
        }, onReturn: () => endedWhileRunning = Math.Max(endedWhileRunning, Volatile.Read(ref running))));

        Assert.Equal("part 3 refused", ex.Message);
        Assert.Equal(0, Volatile.Read(ref running));
        Assert.Equal(0, endedWhileRunning);
    }

    [Fact]
    public async Task The_caller_stream_exception_surfaces_as_is_and_stops_the_parts()
    {
        var boom = new IOException("disk gone");
        var running = 0;
        var body = new FailingStream(PartSize * 3, boom);
        var prefix = ArrayPool<byte>.Shared.Rent(PartSize);
        var thrown = await Assert.ThrowsAsync<IOException>(() => ParallelPartUploader.UploadAsync(
            prefix, PartSize, new byte[1], body, PartSize, 8, ArrayPool<byte>.Shared,
            async (n, data, ct) =>
            {
                Interlocked.Increment(ref running);
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                    return "e";
                }
                finally
                {
                    Interlocked.Decrement(ref running);
                }
            },
            (s, target, ct) => s.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, ct).AsTask(),
            Ct));

        Assert.Same(boom, thrown);
        Assert.Equal(0, Volatile.Read(ref running));
    }

    [Fact]
    public async Task Cancellation_by_the_caller_ends_every_part()
    {
        using var cts = new CancellationTokenSource();
        var started = 0;
        var content = new byte[PartSize * 8];
        var prefix = ArrayPool<byte>.Shared.Rent(PartSize);
        var upload = ParallelPartUploader.UploadAsync(
            prefix, PartSize, content.AsMemory(PartSize, 1), new MemoryStream(content, PartSize + 1, content.Length - PartSize - 1), PartSize, 2,
            ArrayPool<byte>.Shared,
            async (n, data, ct) =>
            {
                if (Interlocked.Increment(ref started) == 2)
                {
                    await cts.CancelAsync();
                }

                await Task.Delay(Timeout.Infinite, ct);
                return "e";
            },
            (s, target, ct) => s.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, ct).AsTask(),
            cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
    }

    private static async Task<(IReadOnlyList<(int PartNumber, string ETag)> Parts, long Length)> UploadAsync(
        byte[] content, int prefixLength, int concurrency, ParallelPartUploader.UploadPart upload, Action? onReturn = null)
    {
        var prefix = ArrayPool<byte>.Shared.Rent(Math.Max(prefixLength, PartSize));
        content.AsSpan(0, prefixLength).CopyTo(prefix);
        try
        {
            return await ParallelPartUploader.UploadAsync(
                prefix, prefixLength, content.AsMemory(prefixLength, 1), new MemoryStream(content, prefixLength + 1, content.Length - prefixLength - 1),
                PartSize, concurrency, ArrayPool<byte>.Shared, upload,
                (s, target, ct) => s.ReadAtLeastAsync(target, target.Length, throwOnEndOfStream: false, ct).AsTask(),
                Ct);
        }
        finally
        {
            onReturn?.Invoke();
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    /// <summary>Serves <c>length</c> zero bytes, then throws the caller's exception.</summary>
    private sealed class FailingStream(int length, Exception failure) : Stream
    {
        private int _served;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_served >= length)
            {
                throw failure;
            }

            var take = Math.Min(count, length - _served);
            Array.Clear(buffer, offset, take);
            _served += take;
            return take;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
