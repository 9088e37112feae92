using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

public sealed class AuditSpoolTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hds-spool-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static HdsAuditRecord Entry(int i) => new()
    {
        Time = new DateTimeOffset(2025, 1, 1, 0, 0, i, TimeSpan.Zero),
        Operation = HdsOperation.Get,
        Outcome = HdsAuditOutcome.Succeeded,
        ActorId = "a-" + i,
        Tenant = "msa",
    };

    [Fact]
    public void Records_are_chained_and_survive_a_reopen()
    {
        string node;
        using (var spool = AuditSpool.Open(_root, "t"))
        {
            node = spool.Node;
            var first = spool.Append(Entry(1));
            var second = spool.Append(Entry(2));
            Assert.Equal((1L, AuditRecordCodec.GenesisHash), (first.Sequence, first.PreviousHash));
            Assert.Equal((2L, first.Hash), (second.Sequence, second.PreviousHash));
        }

        using var reopened = AuditSpool.Open(_root, "t");
        Assert.Equal(node, reopened.Node);
        Assert.Equal(2, reopened.PendingCount);
        Assert.Equal(3, reopened.Append(Entry(3)).Sequence);
    }

    [Fact]
    public void Concurrent_appends_sharing_fsyncs_keep_one_unbroken_chain_across_a_reopen()
    {
        const int threads = 8;
        const int perThread = 40;
        using (var spool = AuditSpool.Open(_root, "t"))
        {
            var appended = new System.Collections.Concurrent.ConcurrentBag<long>();
            Parallel.For(0, threads, t =>
            {
                for (var i = 0; i < perThread; i++)
                {
                    appended.Add(spool.Append(Entry(i)).Sequence);
                }
            });
            Assert.Equal(Enumerable.Range(1, threads * perThread).Select(i => (long)i), appended.Order());
        }

        using var reopened = AuditSpool.Open(_root, "t");
        var pending = reopened.Pending();
        Assert.Equal(threads * perThread, pending.Count);
        for (var i = 1; i < pending.Count; i++)
        {
            Assert.Equal(pending[i - 1].Record.Hash, pending[i].Record.PreviousHash);
        }
    }

    [Fact]
    public void A_locked_node_directory_is_not_shared_a_second_spool_gets_its_own_node()
    {
        using var one = AuditSpool.Open(_root, "t");
        using var two = AuditSpool.Open(_root, "t");
        Assert.NotEqual(one.Node, two.Node);
    }

    [Fact]
    public void A_torn_last_line_was_never_acknowledged_and_is_dropped()
    {
        string file;
        using (var spool = AuditSpool.Open(_root, "t"))
        {
            spool.Append(Entry(1));
            file = Path.Combine(spool.Directory, "spool.jsonl");
        }

        File.AppendAllText(file, "{\"v\":1,\"node\":\"half");
        using var reopened = AuditSpool.Open(_root, "t");
        Assert.Equal(1, reopened.PendingCount);
        Assert.Equal(2, reopened.Append(Entry(2)).Sequence);
        Assert.All(File.ReadAllLines(file), l => Assert.NotNull(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(l), out _)));
    }

    [Fact]
    public void An_acknowledged_record_altered_on_disk_refuses_the_spool()
    {
        string file;
        using (var spool = AuditSpool.Open(_root, "t"))
        {
            spool.Append(Entry(1));
            spool.Append(Entry(2));
            file = Path.Combine(spool.Directory, "spool.jsonl");
        }

        File.WriteAllText(file, File.ReadAllText(file).Replace("a-1", "a-9", StringComparison.Ordinal));
        Assert.Throws<HdsAuditException>(() => AuditSpool.Open(_root, "t"));
    }

    [Fact]
    public void Uploaded_records_leave_the_spool_and_the_chain_continues_from_the_state()
    {
        using (var spool = AuditSpool.Open(_root, "t"))
        {
            spool.Append(Entry(1));
            var last = spool.Append(Entry(2));
            spool.MarkUploaded(spool.State with { UploadedSequence = 2, UploadedHash = last.Hash! });
            Assert.Equal(0, spool.PendingCount);
        }

        using var reopened = AuditSpool.Open(_root, "t");
        Assert.Equal(0, reopened.PendingCount);
        var third = reopened.Append(Entry(3));
        Assert.Equal(3, third.Sequence);
    }

    [Fact]
    public void Canonical_lines_detect_any_change()
    {
        var record = AuditRecordCodec.Chain(Entry(1), "n1", 1, AuditRecordCodec.GenesisHash);
        var line = AuditRecordCodec.ToLine(record);
        Assert.Equal(record, AuditRecordCodec.TryParse(line, out _));
        var text = Encoding.UTF8.GetString(line);
        Assert.Null(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(text.Replace("\"a-1\"", "\"a-2\"", StringComparison.Ordinal)), out var altered));
        Assert.Equal("record hash mismatch", altered);
        Assert.Null(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(text.Replace("{\"v\":1,", "{\"v\":1,\"x\":1,", StringComparison.Ordinal)), out var extra));
        Assert.Equal("record not in canonical form", extra);
    }
}
