namespace Hds.Storage.IO;

/// <summary>
/// The caller's content, read once by a write. A failure of the caller's stream (a web server's request body limit, a client that
/// disconnects, a file that cannot be read) is not a storage failure: it reaches the caller unchanged (an ASP.NET Core app sees its
/// own 413 <c>BadHttpRequestException</c>), marked so that the audit record's reason is <see cref="AuditReason"/>, not "unexpected".
/// </summary>
internal sealed class ContentSourceStream(Stream source) : ReadOnlyForwardStream
{
    /// <summary>The audit reason of a write whose content could not be read.</summary>
    public const string AuditReason = "content-unreadable";

    private const string Marker = "Hds.Storage.ContentSource";

    /// <summary>Whether a failure is the caller's content failing to be read.</summary>
    public static bool IsSourceFailure(Exception exception) => exception.Data.Contains(Marker);

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return source.Read(buffer);
        }
        catch (Exception ex) when (Mark(ex))
        {
            throw; // never reached: Mark returns false
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Mark(ex))
        {
            throw; // never reached: Mark returns false
        }
    }

    // Marks the failure in an exception filter, so it propagates untouched (same type, same stack). Cancellation stays cancellation.
    private static bool Mark(Exception ex)
    {
        if (ex is not OperationCanceledException and not HdsStorageException && !ex.Data.IsReadOnly)
        {
            ex.Data[Marker] = true;
        }

        return false;
    }
}
