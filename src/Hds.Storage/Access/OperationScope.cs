namespace Hds.Storage.Access;

/// <summary>
/// The operation in progress on the current asynchronous flow, set by the client around each public operation and read by
/// the S3 request handler to add the pseudonymous context headers.
/// </summary>
internal static class OperationScope
{
    private static readonly AsyncLocal<OperationInfo?> CurrentInfo = new();

    public static OperationInfo? Current => CurrentInfo.Value;

    public static IDisposable Begin(OperationInfo info)
    {
        var previous = CurrentInfo.Value;
        CurrentInfo.Value = info;
        return new Scope(previous);
    }

    private sealed class Scope(OperationInfo? previous) : IDisposable
    {
        public void Dispose() => CurrentInfo.Value = previous;
    }
}

/// <summary>
/// One operation in progress: its validated context, the node recording it, the operation's name and the client running it; and,
/// for its audit record, what the storage said while it ran (set by the client as the backend answers).
/// </summary>
internal sealed record OperationInfo(HdsAccessContext Context, string Node, string Operation, object? Owner = null)
{
    /// <summary>The site that stored the write, or served the read's first bytes.</summary>
    public string? Site { get; set; }

    /// <summary>The write's answer was lost and the retry found the version it had stored (no second version written).</summary>
    public bool FoundAfterLostAnswer { get; set; }

    /// <summary>The write's intent announced in the audit spool (completed once the write's record is durable).</summary>
    public string? IntentId { get; set; }

    /// <summary>The version a write stored (named by its record even when the write then fails).</summary>
    public string? WrittenVersionId { get; set; }
}
