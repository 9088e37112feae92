using Hds.Storage.Models;
namespace Hds.Storage.Audit.Search;

/// <summary>What the verifier reports to a search as it reads: matching records of verified segments and what it read.</summary>
internal sealed class AuditSearchProgress
{
    public HdsAuditQuery Query { get; set; } = new();

    public Func<HdsAuditRecord, CancellationToken, ValueTask> Deliver { get; set; } = (_, _) => ValueTask.CompletedTask;

    public List<HdsAuditSegmentInfo> Segments { get; } = [];

    public List<HdsAuditCheckpointInfo> Checkpoints { get; } = [];

    public int SegmentsSkipped { get; set; }

    public long BytesRead { get; set; }

    public long RecordsScanned { get; set; }
}
