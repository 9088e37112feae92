using Hds.Storage.Models;

namespace Hds.Storage.Tests.TestSupport;

/// <summary>An audit sink that keeps what it is given, to assert which operations were recorded.</summary>
internal sealed class CapturingAuditSink : HdsAuditSink
{
    private readonly List<HdsAuditRecord> _written = [];

    public IReadOnlyList<HdsAuditRecord> Written
    {
        get
        {
            lock (_written)
            {
                return _written.ToList();
            }
        }
    }

    public override ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken)
    {
        lock (_written)
        {
            _written.Add(record);
        }

        return ValueTask.FromResult(record);
    }
}
