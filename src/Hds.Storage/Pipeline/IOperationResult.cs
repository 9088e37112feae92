using Hds.Storage.Models;

namespace Hds.Storage.Pipeline;

/// <summary>
/// What the pipeline needs from an operation's result besides its audit facts (issue 15: results carry their own facts instead of
/// type switches in the pipeline). Result types implement it explicitly, so it stays out of the public API; a result that does not
/// implement it has no size, moves no counted bytes and defers nothing. The audit record's facts stay in the operation's row of
/// <see cref="OperationDescriptors"/>: the same result type (<see cref="HdsObjectProperties"/>) names different facts for different
/// operations.
/// </summary>
internal interface IOperationResult
{
    /// <summary>The plaintext size the operation's span names (<c>hds.object.size</c>); null when there is none.</summary>
    long? Size => null;

    /// <summary>The plaintext bytes written by the time the operation returns (<c>hds.bytes.written</c>); null: none counted.</summary>
    long? BytesWritten => null;

    /// <summary>
    /// The plaintext bytes read and verified by the time the operation returns (<c>hds.bytes.read</c>); null: none counted. A
    /// download's bytes are read by the caller afterwards: they are counted through <see cref="WrapContent"/>.
    /// </summary>
    long? BytesRead => null;

    /// <summary>What the operation found is an integrity failure (an audit trail not intact), although the operation itself ran.</summary>
    bool IsIntegrityFailure => false;

    /// <summary>
    /// The result to return with its deferred part observed: content the caller reads, or records it enumerates, after the
    /// operation returned. <paramref name="recordEnd"/> gets the outcome and reason of a deferred part that does not end in
    /// success (once). This result itself when nothing is deferred.
    /// </summary>
    object ObserveEnd(Action<HdsAuditOutcome, string> recordEnd) => this;

    /// <summary>The result to return with its deferred content read through <paramref name="wrap"/>; this result itself when it has none.</summary>
    object WrapContent(Func<Stream, Stream> wrap) => this;
}
