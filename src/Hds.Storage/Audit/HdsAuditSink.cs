using Hds.Storage.Models;
namespace Hds.Storage;

/// <summary>
/// Where audit records go. The default sink is the chained, spooled, WORM-uploaded log; replace it only with a sink that is
/// at least as durable. <see cref="WriteAsync"/> must not return before the record is durable: the client refuses an
/// operation (fail-closed) when it throws.
/// </summary>
public abstract class HdsAuditSink : IAsyncDisposable
{
    /// <summary>Makes one record durable.</summary>
    /// <param name="record">The record, without chain fields.</param>
    /// <param name="cancellationToken">Cancels the write (the client passes none: a record is always attempted).</param>
    /// <returns>The record as stored (with its chain fields when the sink chains records).</returns>
    public abstract ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken);

    /// <summary>Pushes durable records to their final store (for example uploads the spool); nothing to do by default.</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>A task completing when flushed.</returns>
    public virtual ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the sink.</summary>
    /// <returns>A task completing when released.</returns>
    protected virtual ValueTask DisposeAsyncCore() => ValueTask.CompletedTask;
}
