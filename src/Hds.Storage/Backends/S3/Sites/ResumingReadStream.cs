using Hds.Storage.Diagnostics;
using Hds.Storage.IO;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// The body of a GET that survives a broken connection: when the stream breaks (or ends early) at byte N, the same version is
/// asked again from byte N with a ranged request, pinned by version id and ETag (If-Match), on the best site still serving.
/// The decoder above verifies the whole content end to end, so a resumed read is exactly as trustworthy as an unbroken one.
/// A read that gets no bytes for the idle timeout (a gateway that stopped sending) counts as broken too: never a hang.
/// Only asynchronous reads resume; a synchronous read reports the break.
/// </summary>
internal sealed class ResumingReadStream : ReadOnlyForwardStream
{
    private const int MaxResumes = 8;

    private readonly Func<long, CancellationToken, Task<(Stream Body, SiteEndpoint Site)>> _reopen;
    private readonly long _end;
    private readonly ILogger _logger;
    private readonly TimeSpan _idleTimeout;
    private readonly TimeProvider _time;
    private Stream _body;
    private SiteEndpoint _site;
    private long _position;
    private int _resumes;

    /// <param name="body">The first response's body.</param>
    /// <param name="site">The site serving it.</param>
    /// <param name="start">Offset in the object of the first byte of <paramref name="body"/>.</param>
    /// <param name="end">Offset just past the last byte expected.</param>
    /// <param name="reopen">Opens the rest of the range from an offset, on whichever site serves.</param>
    /// <param name="idleTimeout">How long one read may wait for bytes before the connection counts as broken.</param>
    /// <param name="time">The clock of the idle timeout.</param>
    /// <param name="logger">Where resumes are logged.</param>
    public ResumingReadStream(
        Stream body, SiteEndpoint site, long start, long end, Func<long, CancellationToken, Task<(Stream Body, SiteEndpoint Site)>> reopen,
        TimeSpan idleTimeout, TimeProvider time, ILogger logger)
    {
        _idleTimeout = idleTimeout;
        _time = time;
        _body = body;
        _site = site;
        _position = start;
        _end = end;
        _reopen = reopen;
        _logger = logger;
    }

    /// <summary>How many times the read was resumed (tests read it).</summary>
    public int Resumes => _resumes;

    public override int Read(Span<byte> buffer)
    {
        var n = _body.Read(buffer);
        _position += n;
        if (n == 0 && buffer.Length > 0 && _position < _end)
        {
            throw new HdsBackendUnavailableException("The storage connection ended before the whole object was read.");
        }

        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Exception? failure;
            using var idle = new CancellationTokenSource(_idleTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
            try
            {
                var n = await _body.ReadAsync(buffer, linked.Token).ConfigureAwait(false);
                if (n > 0 || buffer.Length == 0 || _position >= _end)
                {
                    _position += n;
                    return n;
                }

                failure = new HdsBackendUnavailableException("The storage connection ended before the whole object was read.");
            }
            catch (Exception ex) when (TransientFailures.IsTransient(ex, cancellationToken))
            {
                failure = ex;
            }

            if (_resumes >= MaxResumes)
            {
                throw failure as HdsBackendUnavailableException
                    ?? new HdsBackendUnavailableException("The storage connection broke while reading, repeatedly.", failure);
            }

            _resumes++;
            _site.MarkSuspect();
            SiteMetrics.RecordFailover(_site, SiteAccess.Read);
            Log.ReadResumed(_logger, _site.Name, _position);
            await _body.DisposeAsync().ConfigureAwait(false);
            (_body, _site) = await _reopen(_position, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
