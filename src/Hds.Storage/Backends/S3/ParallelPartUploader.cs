using System.Buffers;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// Cuts a forward-only body into multipart parts and uploads up to <c>maxConcurrency</c> of them at once, in pooled buffers:
/// the body (the encoder: one ordered stream) is read on the caller's task while earlier parts hash and upload on the thread
/// pool, so the per-part digests (Content-MD5, SHA-256) run in parallel across parts. At most <c>maxConcurrency + 1</c> part
/// buffers exist at any time, whatever the object size.
/// On any failure (a part, the body, cancellation) the remaining parts are cancelled and awaited before it throws, so that no
/// buffer is returned to the pool while a request still reads it and the caller can abort the upload knowing nothing is in flight.
/// </summary>
internal static class ParallelPartUploader
{
    /// <summary>Uploads one part; returns its ETag. Runs on the thread pool; must not keep <paramref name="data"/> after it completes.</summary>
    public delegate Task<string> UploadPart(int partNumber, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Reads from the caller's body (the backend wraps the caller's own failures).</summary>
    public delegate Task<int> ReadBody(Stream body, Memory<byte> target, CancellationToken cancellationToken);

    /// <summary>
    /// Uploads <paramref name="prefix"/>[0..<paramref name="prefixLength"/>) followed by <paramref name="extra"/> and the rest of
    /// <paramref name="body"/>. Takes ownership of <paramref name="prefix"/> (rented from <paramref name="pool"/>) and returns it there.
    /// </summary>
    /// <returns>The parts in order and the total length.</returns>
    public static async Task<(IReadOnlyList<(int PartNumber, string ETag)> Parts, long Length)> UploadAsync(
        byte[] prefix, int prefixLength, ReadOnlyMemory<byte> extra, Stream body, int partSize, int maxConcurrency,
        ArrayPool<byte> pool, UploadPart upload, ReadBody read, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(partSize, 1);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
        var tasks = new List<Task>();
        var etags = new List<string?>();
        var prefixLease = new PrefixLease(prefix, pool);
        byte[]? current = null;
        long total = 0;
        try
        {
            var partNumber = 0;

            // Whole parts already read into the prefix go as slices of it (no copy); it returns to the pool after the last one.
            var offset = 0;
            while (prefixLength - offset >= partSize)
            {
                await slots.WaitAsync(cts.Token).ConfigureAwait(false);
                prefixLease.AddRef();
                Start(prefix.AsMemory(offset, partSize), prefixLease.Release);
                offset += partSize;
            }

            // The remainder of the prefix and the look-ahead byte start the next part.
            current = pool.Rent(partSize);
            var filled = prefixLength - offset;
            prefix.AsSpan(offset, filled).CopyTo(current);
            var extraTake = Math.Min(extra.Length, partSize - filled);
            extra.Span[..extraTake].CopyTo(current.AsSpan(filled));
            filled += extraTake;
            if (extraTake < extra.Length)
            {
                throw new ArgumentException("The look-ahead bytes must fit in one part.", nameof(extra));
            }

            prefixLease.ReleaseProducer();
            while (true)
            {
                if (filled < partSize)
                {
                    filled += await read(body, current.AsMemory(filled, partSize - filled), cts.Token).ConfigureAwait(false);
                }

                if (filled == 0)
                {
                    break; // the body ended exactly on a part boundary
                }

                await slots.WaitAsync(cts.Token).ConfigureAwait(false);
                var buffer = current;
                current = null;
                Start(buffer.AsMemory(0, filled), () => pool.Return(buffer));
                if (filled < partSize)
                {
                    break; // a short part is the last one
                }

                current = pool.Rent(partSize);
                filled = 0;
            }

            await Task.WhenAll(tasks).ConfigureAwait(false);
            var parts = new List<(int, string)>(etags.Count);
            for (var i = 0; i < etags.Count; i++)
            {
                parts.Add((i + 1, etags[i]!));
            }

            return (parts, total);

            void Start(ReadOnlyMemory<byte> data, Action release)
            {
                var number = ++partNumber;
                lock (etags)
                {
                    etags.Add(null);
                }

                total += data.Length;
                tasks.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            var etag = await upload(number, data, cts.Token).ConfigureAwait(false);
                            lock (etags)
                            {
                                etags[number - 1] = etag;
                            }
                        }
                        catch
                        {
                            // First failure stops the others; the producer sees the cancellation at its next wait or read.
                            await cts.CancelAsync().ConfigureAwait(false);
                            throw;
                        }
                        finally
                        {
                            release();
                            slots.Release();
                        }
                    },
                    CancellationToken.None));
            }
        }
        catch (Exception producerFailure)
        {
            await cts.CancelAsync().ConfigureAwait(false);
            var partFailure = await DrainAsync(tasks).ConfigureAwait(false);

            // A failing part cancelled the producer: report the part's own failure, not the cancellation it caused.
            if (partFailure is not null && producerFailure is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(partFailure);
            }

            throw;
        }
        finally
        {
            if (current is not null)
            {
                pool.Return(current);
            }

            prefixLease.ReleaseProducer();
        }
    }

    // Waits for every part task to end; returns the first real failure among them (not cancellations they were told to do).
    private static async Task<Exception?> DrainAsync(List<Task> tasks)
    {
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            // Observed below.
        }

        var failures = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToList();
        return failures.FirstOrDefault(e => e is not OperationCanceledException) ?? failures.FirstOrDefault();
    }

    // The prefix buffer is shared by the part slices cut from it and the producer; the last one to let go returns it to the pool.
    private sealed class PrefixLease(byte[] buffer, ArrayPool<byte> pool)
    {
        private int _count = 1;
        private int _producerReleased;

        public void AddRef() => Interlocked.Increment(ref _count);

        public void Release()
        {
            if (Interlocked.Decrement(ref _count) == 0)
            {
                pool.Return(buffer);
            }
        }

        // The producer's own reference, released once (also on failure before it got to release it).
        public void ReleaseProducer()
        {
            if (Interlocked.Exchange(ref _producerReleased, 1) == 0)
            {
                Release();
            }
        }
    }
}
