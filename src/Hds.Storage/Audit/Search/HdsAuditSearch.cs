using Hds.Storage.Audit.Search;
using System.Threading.Channels;
using Hds.Storage.Models;
using Hds.Storage.Pipeline;

namespace Hds.Storage;

/// <summary>
/// A running audit search (<see cref="HdsStorageClient.SearchAuditAsync"/>): enumerate it once to get the matching records, oldest
/// segment first within each writer node. Only records of enrolled nodes, from segments whose records are canonical, match their hashes
/// and link to the chain, and that a signed checkpoint covers (or, stored within the grace period, may still be signed: see
/// <see cref="HdsAuditSegmentInfo.AwaitingCheckpoint"/> and <see cref="HdsAuditQuery.SignedOnly"/>), are returned; everything verification finds wrong is in <see cref="Problems"/> once the enumeration ends
/// (checkpoint problems are found after the node's segments, so read <see cref="IsValid"/> at the end). The figures
/// (<see cref="BytesRead"/>, <see cref="SegmentsRead"/>…) are complete at the end too.
/// </summary>
public sealed class HdsAuditSearch : IAsyncEnumerable<HdsAuditRecord>, IOperationResult
{
    private readonly Func<AuditSearchProgress, CancellationToken, Task<HdsAuditVerificationResult>> _run;
    private readonly AuditSearchProgress _progress = new();
    private int _started;

    internal HdsAuditSearch(HdsAuditQuery query, Func<AuditSearchProgress, CancellationToken, Task<HdsAuditVerificationResult>> run)
    {
        Query = query;
        _run = run;
    }

    /// <summary>The query.</summary>
    public HdsAuditQuery Query { get; }

    /// <summary>Whether the enumeration ended and found no problem.</summary>
    public bool IsValid => IsCompleted && Problems.Count == 0;

    /// <summary>Whether the enumeration ran to its end.</summary>
    public bool IsCompleted { get; private set; }

    /// <summary>Every problem verification found in the segments and checkpoints read (complete once the enumeration ends).</summary>
    public IReadOnlyList<HdsAuditProblem> Problems { get; private set; } = [];

    /// <summary>The writer nodes found.</summary>
    public IReadOnlyList<string> Nodes { get; private set; } = [];

    /// <summary>The segments read, with their hashes and whether they verified.</summary>
    public IReadOnlyList<HdsAuditSegmentInfo> Segments => _progress.Segments;

    /// <summary>The signed checkpoints read, with their hashes.</summary>
    public IReadOnlyList<HdsAuditCheckpointInfo> Checkpoints => _progress.Checkpoints;

    /// <summary>How many segments were read.</summary>
    public int SegmentsRead => _progress.Segments.Count;

    /// <summary>How many segments the time range let the search skip (never read).</summary>
    public int SegmentsSkipped => _progress.SegmentsSkipped;

    /// <summary>How many bytes of segments were read.</summary>
    public long BytesRead => _progress.BytesRead;

    /// <summary>How many records were read and verified (matching or not).</summary>
    public long RecordsScanned => _progress.RecordsScanned;

    /// <summary>How many records were returned.</summary>
    public long RecordsReturned { get; private set; }

    /// <inheritdoc />
    public async IAsyncEnumerator<HdsAuditRecord> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("An audit search is enumerated once; run the search again.");
        }

        // The verifier produces verified segments' matches while the caller consumes them; the bounded channel keeps memory flat.
        var channel = Channel.CreateBounded<HdsAuditRecord>(new BoundedChannelOptions(4096) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _progress.Deliver = async (record, ct) => await channel.Writer.WriteAsync(record, ct).ConfigureAwait(false);
        _progress.Query = Query;
        var producer = Task.Run(async () =>
        {
            try
            {
                var result = await _run(_progress, stop.Token).ConfigureAwait(false);
                Problems = result.Problems;
                Nodes = result.Nodes;
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, CancellationToken.None);

        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var record))
                {
                    RecordsReturned++;
                    yield return record;
                }
            }

            IsCompleted = true;
            if (Completed is { } completed)
            {
                completed(this);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopped early by the caller
            }
        }
    }

    /// <summary>Called once the enumeration ended (the client records a follow-up when problems were found).</summary>
    internal Action<HdsAuditSearch>? Completed { get; set; }

    // The search verifies as it is enumerated, after the operation returned: a trail found not intact is recorded when the
    // enumeration ends.
    object IOperationResult.ObserveEnd(Action<HdsAuditOutcome, string> recordEnd)
    {
        Completed = s =>
        {
            if (!s.IsValid)
            {
                recordEnd(HdsAuditOutcome.IntegrityFailure, "audit-trail-invalid");
            }
        };
        return this;
    }
}
