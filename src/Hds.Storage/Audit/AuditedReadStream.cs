using Hds.Storage.Encryption;
using Hds.Storage.IO;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

/// <summary>
/// The content of an audited read, after its opening record: observes how the caller's reading ends and has the final outcome
/// recorded once. Read to its end: nothing more to record (the opening record said Succeeded). A verification failure while
/// streaming: IntegrityFailure; a cancelled read: Cancelled; another failure (storage, network): Failed; released before its end:
/// Incomplete. Each follow-up names the opening record and repeats its actor, correlation, trace, key and version.
/// </summary>
internal sealed class AuditedReadStream(Stream inner, Action<HdsAuditOutcome, string> recordOutcome) : ReadOnlyForwardStream
{
    private int _ended; // 1 once the end was reached or an outcome recorded: nothing more is recorded

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return Observe(inner.Read(buffer), buffer.Length);
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested(); // also when the inner stream would answer from its buffer
            return Observe(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        EndIfNotVerified();
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            EndIfNotVerified();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private int Observe(int read, int asked)
    {
        if (read == 0 && asked > 0)
        {
            Interlocked.Exchange(ref _ended, 1); // the end: verified to the seal
        }

        return read;
    }

    // Released: complete when the decoder verified the content to its seal (the last byte was read, even without a read of 0).
    private void EndIfNotVerified()
    {
        if (inner is not ContentDecoder { Seal: not null })
        {
            End(HdsAuditOutcome.Incomplete, "released-before-end");
        }
    }

    private void Fail(Exception ex)
    {
        switch (ex)
        {
            case HdsIntegrityException:
                End(HdsAuditOutcome.IntegrityFailure, nameof(HdsErrorCode.Integrity));
                break;
            case OperationCanceledException:
                End(HdsAuditOutcome.Cancelled, "cancelled");
                break;
            case HdsStorageException storage:
                End(HdsAuditOutcome.Failed, storage.ErrorCode.ToString());
                break;
            case IOException:
                End(HdsAuditOutcome.Failed, "io");
                break;
            default:
                End(HdsAuditOutcome.Failed, "unexpected");
                break;
        }
    }

    private void End(HdsAuditOutcome outcome, string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            recordOutcome(outcome, reason);
        }
    }
}
