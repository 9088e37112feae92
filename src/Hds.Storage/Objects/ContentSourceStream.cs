namespace Hds.Storage.Objects;

/// <summary>
/// The caller's content, read once by a write. A failure of the caller's stream (a web server's request body limit, a client that
/// disconnects, a file that cannot be read) is not a storage failure: it becomes an <see cref="HdsInvalidRequestException"/> that says
/// so, and the audit record's reason is <see cref="AuditReason"/>, not "unexpected".
/// </summary>
internal sealed class ContentSourceStream(Stream source) : Stream
{
    /// <summary>The audit reason of a write whose content could not be read.</summary>
    public const string AuditReason = "content-unreadable";

    private const string Marker = "Hds.Storage.ContentSource";

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Whether a failure is the caller's content failing to be read.</summary>
    public static bool IsSourceFailure(Exception exception) => exception is HdsInvalidRequestException && exception.Data.Contains(Marker);

    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return source.Read(buffer, offset, count);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not HdsStorageException)
        {
            throw Failure(ex);
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not HdsStorageException)
        {
            throw Failure(ex);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    // The source's own message (for example Kestrel's "Request body too large. The max request body size is 30000000 bytes.") says
    // what happened; it is about the transport, never the content.
    private static HdsInvalidRequestException Failure(Exception ex)
    {
        var error = new HdsInvalidRequestException(
            $"The content to store could not be read ({ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}); nothing was stored. "
            + "For an upload, check the web server's request body limit (Kestrel: 30 MB by default, KestrelServerLimits.MaxRequestBodySize).", ex);
        error.Data[Marker] = true;
        return error;
    }
}
