// Audit harness.
//   load <store> [count]      : puts small objects into the local store at <store>, printing "ACK <n> <key>" after each put
//                               returned (its audit record is then durable). The crash test kills this process with SIGKILL.
//   crash <store> <point>     : one put into the local store whose storage calls kill this process with SIGKILL at <point>:
//                               before-send (the intent is announced, no byte sent), after-commit (the version is stored),
//                               after-lock-check (its retention was read back). The crash test then recovers the spool.
//   overhead <store> [count]  : measures the audit overhead per operation: the same put+head+get loop with the default audit
//                               (fsync'd spool, chained, uploaded) and with a no-op sink. Prints microseconds per operation.
using System.Diagnostics;
using System.Globalization;
using Hds.Storage;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Hds.Storage.Models;

var mode = args.Length > 0 ? args[0] : "overhead";
var store = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "hds-audit-harness-" + Guid.NewGuid().ToString("N"));
var count = args.Length > 2 && mode != "crash" ? int.Parse(args[2], CultureInfo.InvariantCulture) : (mode == "load" ? int.MaxValue : 500);
var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { Application = "audit-harness" };
var payload = new byte[1024];

if (mode == "load")
{
    var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = store } };
    options.Audit.BatchSize = 8;
    options.Audit.UploadInterval = TimeSpan.FromMilliseconds(50);
    await using var client = new HdsStorageClient(options);
    for (var n = 1; n <= count; n++)
    {
        var key = "crash/" + n.ToString(CultureInfo.InvariantCulture);
        await client.PutAsync(key, new MemoryStream(payload), new HdsPutOptions { Context = context });
        Console.Out.WriteLine($"ACK {n} {key}");
        Console.Out.Flush();
    }

    return 0;
}

if (mode == "crash")
{
    var point = args.Length > 2 ? args[2] : "after-commit";
    var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = store } };
    options.Audit.UploadInterval = TimeSpan.FromHours(1);
    await using var client = new HdsStorageClient(options, TimeProvider.System, null, backend => new KillingBackend(backend, point));
    await client.PutAsync("crash/1", new MemoryStream(payload), new HdsPutOptions { Context = context });
    Console.Out.WriteLine("ACK crash/1"); // not reached: the process is killed at the point
    return 0;
}

if (mode == "overhead")
{
    // Interleaved rounds (no-op sink, default audit, no-op, ...) on two long-lived clients, medians of the per-round figures:
    // a busy shared machine shifts whole rounds, which the median and the alternation absorb. Wall time per operation is what a
    // caller waits (the audit record is fsync'd before the call returns); process CPU time per operation is the work the audit
    // adds (chain hash, JSON, spool write, batched uploads and signed checkpoints), which other processes' load does not inflate.
    const int Rounds = 11;
    var perRound = Math.Max(1, count / Rounds);
    Console.WriteLine($"{Rounds} interleaved rounds x {perRound} iterations of put(1 KiB) + head + get, local store, one thread; {Environment.ProcessorCount} cores, load {LoadAverage()}");
    await using var noAudit = await CreateAsync(store + "-noaudit", new NoOpSink());
    await using var defaultAudit = await CreateAsync(store + "-audit", null);
    var none = new List<(double Wall, double Cpu)>();
    var audited = new List<(double Wall, double Cpu)>();
    for (var round = 0; round < Rounds; round++)
    {
        foreach (var (client, results) in round % 2 == 0 ? new[] { (noAudit, none), (defaultAudit, audited) } : [(defaultAudit, audited), (noAudit, none)])
        {
            results.Add(await RoundAsync(client, $"bench/{round}/", perRound));
        }
    }

    double Median(IEnumerable<double> values) => values.OrderBy(v => v).ElementAt(Rounds / 2);
    var (wallNone, cpuNone) = (Median(none.Select(r => r.Wall)), Median(none.Select(r => r.Cpu)));
    var (wallAudit, cpuAudit) = (Median(audited.Select(r => r.Wall)), Median(audited.Select(r => r.Cpu)));
    Console.WriteLine($"no-op sink      : wall {wallNone,8:F1} us/op, cpu {cpuNone,8:F1} us/op");
    Console.WriteLine($"default audit   : wall {wallAudit,8:F1} us/op, cpu {cpuAudit,8:F1} us/op");
    Console.WriteLine($"overhead        : wall {wallAudit - wallNone,8:F1} us/op ({(wallAudit / wallNone - 1) * 100:F0} %), cpu {cpuAudit - cpuNone,8:F1} us/op ({(cpuAudit / cpuNone - 1) * 100:F0} %)");
    Console.WriteLine($"rounds (wall us/op) no-op: {string.Join(' ', none.Select(r => r.Wall.ToString("F0", CultureInfo.InvariantCulture)))}");
    Console.WriteLine($"rounds (wall us/op) audit: {string.Join(' ', audited.Select(r => r.Wall.ToString("F0", CultureInfo.InvariantCulture)))}");
    Console.WriteLine($"load after {LoadAverage()}");
    await noAudit.DisposeAsync();
    await defaultAudit.DisposeAsync();
    foreach (var dir in new[] { store + "-noaudit", store + "-audit" })
    {
        Directory.Delete(dir, recursive: true);
    }

    return 0;
}

Console.Error.WriteLine("usage: load <store> [count] | crash <store> <point> | overhead <store> [count]");
return 2;

async Task<HdsStorageClient> CreateAsync(string path, HdsAuditSink? sink)
{
    var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = path } };
    options.Audit.Sink = sink;
    var client = new HdsStorageClient(options);
    for (var i = 0; i < 50; i++)
    {
        await OneAsync(client, "warmup/" + i.ToString(CultureInfo.InvariantCulture));
    }

    return client;
}

async Task<(double Wall, double Cpu)> RoundAsync(HdsStorageClient client, string prefix, int iterations)
{
    var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        await OneAsync(client, prefix + i.ToString(CultureInfo.InvariantCulture));
    }

    var wall = watch.Elapsed;
    process.Refresh();
    var operations = iterations * 3.0;
    return (wall.TotalMicroseconds / operations, (process.TotalProcessorTime - cpu).TotalMicroseconds / operations);
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

async Task OneAsync(HdsStorageClient client, string key)
{
    var receipt = await client.PutAsync(key, new MemoryStream(payload), new HdsPutOptions { Context = context });
    await client.GetPropertiesAsync(key, new HdsVersionOptions { VersionId = receipt.VersionId, Context = context });
    await using var download = await client.GetAsync(key, new HdsGetOptions { Context = context, VersionId = receipt.VersionId });
    await download.Content.CopyToAsync(Stream.Null);
}

internal sealed class NoOpSink : HdsAuditSink
{
    public override ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken) => ValueTask.FromResult(record);
}

/// <summary>Forwards to the real backend and kills this process (SIGKILL) at one point of a document's put.</summary>
internal sealed class KillingBackend(Hds.Storage.Backends.StorageBackend inner, string point) : Hds.Storage.Backends.StorageBackend
{
    public override string Location => inner.Location;

    public override Task<Hds.Storage.Models.HdsBucketCompliance> CheckBucketAsync(Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) => inner.CheckBucketAsync(operation, cancellationToken);

    public override async Task<Hds.Storage.Backends.BackendWriteResult> PutAsync(Hds.Storage.Backends.BackendWriteRequest request, Stream body, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken)
    {
        var document = !request.Key.StartsWith("_hds/", StringComparison.Ordinal);
        if (document && point == "before-send")
        {
            Kill();
        }

        var written = await inner.PutAsync(request, body, operation, cancellationToken);
        if (document && point == "after-commit")
        {
            Kill();
        }

        return written;
    }

    public override Task<Hds.Storage.Backends.BackendReadResult> GetAsync(string key, string? versionId, Hds.Storage.Backends.ByteRange? range, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) =>
        inner.GetAsync(key, versionId, range, operation, cancellationToken);

    public override async Task<Hds.Storage.Backends.BackendObjectHead> HeadAsync(string key, string? versionId, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken)
    {
        var head = await inner.HeadAsync(key, versionId, operation, cancellationToken);
        if (!key.StartsWith("_hds/", StringComparison.Ordinal) && point == "after-lock-check")
        {
            Kill();
        }

        return head;
    }

    public override Task<Hds.Storage.Backends.BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) =>
        inner.ListAsync(prefix, continuationToken, pageSize, operation, cancellationToken);

    public override Task<IReadOnlyList<Hds.Storage.Backends.BackendVersion>> ListVersionsAsync(string key, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) =>
        inner.ListVersionsAsync(key, operation, cancellationToken);

    public override Task<IReadOnlyList<Hds.Storage.Backends.BackendVersion>> ListHistoryAsync(string prefix, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) =>
        inner.ListHistoryAsync(prefix, operation, cancellationToken);

    public override Task<string> DeleteAsync(string key, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) => inner.DeleteAsync(key, operation, cancellationToken);

    public override Task DeleteVersionAsync(string key, string versionId, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) => inner.DeleteVersionAsync(key, versionId, operation, cancellationToken);

    public override Task SetLegalHoldAsync(string key, string versionId, bool enabled, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) =>
        inner.SetLegalHoldAsync(key, versionId, enabled, operation, cancellationToken);

    public override Task SetRetentionAsync(string key, string versionId, Hds.Storage.Models.HdsRetentionMode mode, DateTimeOffset retainUntil, Hds.Storage.Access.OperationContext? operation, CancellationToken cancellationToken) =>
        inner.SetRetentionAsync(key, versionId, mode, retainUntil, operation, cancellationToken);

    public override ValueTask DisposeAsync() => inner.DisposeAsync();

    private static void Kill()
    {
        Console.Out.Flush();
        Process.GetCurrentProcess().Kill(); // SIGKILL on Unix: no finally block, no flush, no dispose runs
        Thread.Sleep(Timeout.Infinite);
    }
}
