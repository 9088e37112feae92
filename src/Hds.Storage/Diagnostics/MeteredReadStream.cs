using Hds.Storage.IO;

namespace Hds.Storage.Diagnostics;

/// <summary>
/// Counts the verified bytes a caller reads from a download (<c>hds.bytes.read</c>) and the integrity failures detected while
/// streaming (<c>hds.integrity.failures</c>), which happen after the operation returned. Only used when someone listens.
/// </summary>
internal sealed class MeteredReadStream(Stream inner, string operation) : ReadOnlyForwardStream
{
    private readonly KeyValuePair<string, object?> _operationTag = new("hds.operation", operation);
    private bool _failed;

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return Count(inner.Read(buffer));
        }
        catch (HdsIntegrityException)
        {
            Fail();
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
        }
        catch (HdsIntegrityException)
        {
            Fail();
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Count(int read)
    {
        if (read > 0)
        {
            HdsStorageTelemetry.BytesRead.Add(read, _operationTag);
        }

        return read;
    }

    private void Fail()
    {
        if (!_failed)
        {
            _failed = true;
            HdsStorageTelemetry.IntegrityFailures.Add(1, _operationTag);
        }
    }
}
