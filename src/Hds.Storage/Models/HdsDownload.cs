using Hds.Storage.Audit;
using Hds.Storage.Pipeline;

namespace Hds.Storage.Models;

/// <summary>
/// The content of one version being read. <see cref="Content"/> only ever returns verified bytes and throws
/// <see cref="HdsIntegrityException"/> as soon as verification fails. Dispose it to release the connection.
/// </summary>
public sealed class HdsDownload : IAsyncDisposable, IDisposable, IOperationResult
{
    internal HdsDownload(Stream content, HdsObjectProperties properties)
    {
        Content = content;
        Properties = properties;
    }

    /// <summary>The content, verified as it is read.</summary>
    public Stream Content { get; }

    /// <summary>The properties of the version being read.</summary>
    public HdsObjectProperties Properties { get; }

    /// <inheritdoc />
    public void Dispose() => Content.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Content.DisposeAsync();

    // The pipeline's facts. The content is verified as the caller reads it, after the operation returned: always wrapped, so the
    // end of the read is observed (a follow-up record when it is not a success) and, when metrics listen, its bytes counted.
    long? IOperationResult.Size => Properties.Size;

    object IOperationResult.ObserveEnd(Action<HdsAuditOutcome, string> recordEnd) => new HdsDownload(new AuditedReadStream(Content, recordEnd), Properties);

    object IOperationResult.WrapContent(Func<Stream, Stream> wrap) => new HdsDownload(wrap(Content), Properties);
}
