using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Diagnostics;
using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

/// <summary>
/// The default audit sink: records are chained (sequence, previous hash, own hash) and made durable in the local spool before
/// the operation returns, then uploaded in batches as retention-locked segments, each followed by a signed checkpoint when a
/// certificate is configured. Uploads run in the background (every <see cref="HdsAuditOptions.UploadInterval"/>, or as soon as
/// a batch is full) and on flush and dispose; a failed upload keeps the records in the spool and is retried.
/// </summary>
internal sealed class ChainedAuditSink : HdsAuditSink
{
    private readonly AuditSpool _spool;
    private readonly AuditStore _store;
    private readonly X509Certificate2? _certificate;
    private readonly int _batchSize;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _uploadLock = new(1, 1);
    private bool _reconciled;
    private bool _intentsReconciled;
    private List<HdsAuditRecord> _recentlyStored = [];
    private readonly SemaphoreSlim _signal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ChainedAuditSink(AuditSpool spool, AuditIntents intents, AuditStore store, X509Certificate2? certificate, HdsAuditOptions options, TimeProvider time, ILogger logger)
    {
        _spool = spool;
        Intents = intents;
        _store = store.For(AuditStore.UploadOperation(spool.Node)); // uploads and reconciliation: a system operation of the node
        _certificate = certificate;
        _batchSize = options.BatchSize;
        _interval = options.UploadInterval;
        _time = time;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public string Node => _spool.Node;

    public AuditSpool Spool => _spool;

    /// <summary>The writes announced before they are sent.</summary>
    public AuditIntents Intents { get; }

    public AuditStore Store => _store;

    public override ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken)
    {
        var stored = _spool.Append(record);
        if (_spool.PendingCount >= _batchSize)
        {
            Signal();
        }

        return ValueTask.FromResult(stored);
    }

    public override async ValueTask FlushAsync(CancellationToken cancellationToken) =>
        await UploadAsync(cancellationToken).ConfigureAwait(false);

    protected override async ValueTask DisposeAsyncCore()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15), TimeProvider.System);
            await UploadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HdsStorageException or OperationCanceledException or IOException)
        {
            Log.AuditUploadFailed(_logger, _spool.PendingCount, ex);
        }

        _spool.Dispose();
        Intents.Dispose();
        _uploadLock.Dispose();
        _signal.Dispose();
        _stop.Dispose();
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    private void Signal()
    {
        try
        {
            if (_signal.CurrentCount == 0)
            {
                _signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task RunAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(token))
            {
                var delay = Task.Delay(_interval, _time, wait.Token);
                var signalled = _signal.WaitAsync(wait.Token);
                await Task.WhenAny(delay, signalled).ConfigureAwait(false);
                await wait.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(delay, signalled).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                    .ConfigureAwait(false);
            }

            if (token.IsCancellationRequested)
            {
                return;
            }

            try
            {
                // Not cancelled by dispose once started: a segment PUT cut mid-request may still be stored by the server after the
                // reconciliation of the final upload listed the store, which then stored it a second time (ObjectRewritten). The
                // storage's own request and failover timeouts bound it; dispose waits for it, then uploads the rest.
                await UploadAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HdsStorageException or IOException || ex is OperationCanceledException && !token.IsCancellationRequested)
            {
                Log.AuditUploadFailed(_logger, _spool.PendingCount, ex);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // A process killed between storing a segment (or checkpoint) and recording it in the spool state would, once restarted,
    // upload the same records again: a duplicate segment that verification rightly reports. The store is the truth: before
    // the first upload, adopt the last segment and checkpoint this node already stored (from the whole history: a delete marker
    // added by someone else hides nothing from the writer). A segment stored without its checkpoint (killed between the two) gets
    // its checkpoint now, so no segment stays uncovered.
    private async Task ReconcileWithStoreAsync(CancellationToken cancellationToken)
    {
        var state = _spool.State;
        AuditObjectName? lastSegment = null;
        AuditObjectName? lastCheckpoint = null;
        foreach (var history in await _store.ListNodeHistoryAsync(_spool.Node, cancellationToken).ConfigureAwait(false))
        {
            if (!AuditStore.TryParse(history.Key, out var name) || name.Node != _spool.Node || history.Original is not { } original)
            {
                continue;
            }

            name = name with { VersionId = original.VersionId };
            if (name.IsCheckpoint && name.Last > (lastCheckpoint?.Last ?? 0))
            {
                lastCheckpoint = name;
            }
            else if (!name.IsCheckpoint && name.Last > (lastSegment?.Last ?? 0))
            {
                lastSegment = name;
            }
        }

        var adopted = state;
        if (lastSegment is { } segment && segment.Last > state.UploadedSequence)
        {
            var content = await _store.ReadAsync(segment.Key, segment.VersionId, cancellationToken).ConfigureAwait(false);
            var lines = System.Text.Encoding.UTF8.GetString(content).TrimEnd('\n').Split('\n');
            var last = AuditRecordCodec.TryParse(System.Text.Encoding.UTF8.GetBytes(lines[^1]), out _);
            if (last is null || last.Sequence != segment.Last)
            {
                throw new HdsIntegrityException("The last stored audit segment of this node is unreadable or does not end where its name says; verify the audit log.");
            }

            adopted = adopted with { UploadedSequence = last.Sequence, UploadedHash = last.Hash! };
        }

        if (lastSegment is { } newest && Intents.Leftover.Count > 0)
        {
            // What the node last stored, to tell a leftover intent whose write was recorded from one that was not.
            var content = await _store.ReadAsync(newest.Key, newest.VersionId, cancellationToken).ConfigureAwait(false);
            _recentlyStored = AuditLogVerifier.ParseLines(content).Where(r => r.Record is not null).Select(r => r.Record!).ToList();
        }

        if (_certificate is not null && lastCheckpoint is { } checkpoint && checkpoint.Last > state.CheckpointSequence)
        {
            var signed = await _store.ReadAsync(checkpoint.Key, checkpoint.VersionId, cancellationToken).ConfigureAwait(false);
            adopted = adopted with { CheckpointSequence = checkpoint.Last, CheckpointHash = Convert.ToHexStringLower(SHA256.HashData(signed)) };
        }

        if (_certificate is not null && adopted.UploadedSequence > adopted.CheckpointSequence)
        {
            adopted = await PutCheckpointAsync(adopted, adopted.UploadedSequence, adopted.UploadedHash, cancellationToken).ConfigureAwait(false);
        }

        if (adopted != state)
        {
            _spool.MarkUploaded(adopted);
        }
    }

    // Writes a previous process announced and did not see through (it died): each gets the record of its outcome, found in the
    // store by the intent id the write carried in its metadata: stored (with the version and the lock read back) or not stored.
    // An intent whose write was recorded before the process died (the closing line was not yet on disk) is only closed.
    private async Task ReconcileIntentsAsync(CancellationToken cancellationToken)
    {
        foreach (var intent in Intents.Leftover)
        {
            var found = await _store.FindIntentVersionAsync(intent.PhysicalKey, intent.Id, intent.Time.AddHours(-1), cancellationToken).ConfigureAwait(false);
            var recorded = found is not null && _spool.Pending().Select(p => p.Record).Concat(_recentlyStored)
                .Any(r => r.Operation == Models.HdsOperation.Put && string.Equals(r.VersionId, found.VersionId, StringComparison.Ordinal));
            if (!recorded)
            {
                var record = new HdsAuditRecord
                {
                    Time = _time.GetUtcNow(),
                    Operation = Models.HdsOperation.Put,
                    Outcome = HdsAuditOutcome.Incomplete,
                    Reason = found is null ? "interrupted-not-stored" : "interrupted-stored",
                    ActorId = intent.ActorId,
                    ActorKind = intent.ActorKind,
                    Role = intent.Role,
                    Tenant = intent.Tenant,
                    Purpose = intent.Purpose,
                    PatientPseudonym = intent.PatientPseudonym,
                    CorrelationId = intent.CorrelationId,
                    Application = intent.Application,
                    Key = intent.Key,
                    VersionId = found?.VersionId,
                    RetainUntil = found?.Retention.RetainUntil,
                    TraceId = intent.TraceId,
                };
                var stored = _spool.Append(record);
                Log.AuditIntentReconciled(_logger, _spool.Node, stored.Sequence, stored.Reason!);
            }

            Intents.Reconciled(intent);
        }
    }

    // Signs and stores the checkpoint of records 1..sequence (head hash), linked to the state's previous checkpoint.
    private async Task<AuditSpoolState> PutCheckpointAsync(AuditSpoolState state, long sequence, string headHash, CancellationToken cancellationToken)
    {
        var checkpoint = new AuditCheckpoint(_spool.Node, sequence, headHash, _time.GetUtcNow(), state.CheckpointSequence, state.CheckpointHash);
        var signed = CheckpointSigner.Sign(_certificate!, checkpoint);
        await _store.PutLockedAsync(AuditStore.CheckpointKey(_spool.Node, sequence), signed, "application/pkcs7-mime", cancellationToken).ConfigureAwait(false);
        return state with { CheckpointSequence = sequence, CheckpointHash = Convert.ToHexStringLower(SHA256.HashData(signed)) };
    }

    // Uploads every pending record, one segment of at most BatchSize records at a time, each followed by a checkpoint.
    private async Task UploadAsync(CancellationToken cancellationToken)
    {
        await _uploadLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_reconciled)
            {
                await ReconcileWithStoreAsync(cancellationToken).ConfigureAwait(false);
                _reconciled = true;
            }

            if (!_intentsReconciled)
            {
                await ReconcileIntentsAsync(cancellationToken).ConfigureAwait(false);
                _intentsReconciled = true;
            }

            while (true)
            {
                var batch = _spool.Pending(_batchSize);
                if (batch.Count == 0)
                {
                    return;
                }

                var first = batch[0].Record;
                var last = batch[^1].Record;
                var content = new byte[batch.Sum(b => b.Line.Length + 1)];
                var offset = 0;
                foreach (var item in batch)
                {
                    item.Line.CopyTo(content, offset);
                    offset += item.Line.Length;
                    content[offset++] = (byte)'\n';
                }

                await _store.PutLockedAsync(
                    AuditStore.SegmentKey(_spool.Node, first.Sequence, last.Sequence, first.Time, last.Time), content, "application/x-ndjson", cancellationToken)
                    .ConfigureAwait(false);

                var state = _spool.State;
                var next = state with { UploadedSequence = last.Sequence, UploadedHash = last.Hash! };
                if (_certificate is not null)
                {
                    next = await PutCheckpointAsync(next, last.Sequence, last.Hash!, cancellationToken).ConfigureAwait(false);
                }

                _spool.MarkUploaded(next);
                Log.AuditSegmentUploaded(_logger, _spool.Node, first.Sequence, last.Sequence);
            }
        }
        catch
        {
            // A segment or checkpoint whose answer was lost (connection broken, the loop cancelled by dispose) may be stored all
            // the same: the next upload first adopts what the store holds, as after a restart, instead of storing it twice.
            _reconciled = false;
            throw;
        }
        finally
        {
            _uploadLock.Release();
        }
    }
}
