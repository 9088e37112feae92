// Audit harness.
//   load <store> [count]      : puts small objects into the local store at <store>, printing "ACK <n> <key>" after each put
//                               returned (its audit record is then durable). The crash test kills this process with SIGKILL.
//   overhead <store> [count]  : measures the audit overhead per operation: the same put+head+get loop with the default audit
//                               (fsync'd spool, chained, uploaded) and with a no-op sink. Prints microseconds per operation.
using System.Diagnostics;
using System.Globalization;
using Hds.Storage;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;

var mode = args.Length > 0 ? args[0] : "overhead";
var store = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "hds-audit-harness-" + Guid.NewGuid().ToString("N"));
var count = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : (mode == "load" ? int.MaxValue : 500);
var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { Application = "audit-harness" };
var payload = new byte[1024];

if (mode == "load")
{
    var options = new HdsStorageOptions { Local = new LocalStorageOptions { Path = store } };
    options.Audit.BatchSize = 8;
    options.Audit.UploadInterval = TimeSpan.FromMilliseconds(50);
    await using var client = new HdsStorageClient(options);
    for (var n = 1; n <= count; n++)
    {
        var key = "crash/" + n.ToString(CultureInfo.InvariantCulture);
        await client.PutAsync(key, new MemoryStream(payload), new PutOptions { Context = context });
        Console.Out.WriteLine($"ACK {n} {key}");
        Console.Out.Flush();
    }

    return 0;
}

if (mode == "overhead")
{
    Console.WriteLine($"{count} iterations of put(1 KiB) + head + get, local store, one thread");
    var none = await RunAsync(store + "-noaudit", count, new NoOpSink());
    var audited = await RunAsync(store + "-audit", count, null);
    var perOpNone = none.TotalMicroseconds / (count * 3.0);
    var perOpAudited = audited.TotalMicroseconds / (count * 3.0);
    Console.WriteLine($"no-op sink      : {perOpNone,8:F1} us/op");
    Console.WriteLine($"default audit   : {perOpAudited,8:F1} us/op");
    Console.WriteLine($"overhead        : {perOpAudited - perOpNone,8:F1} us/op ({(perOpAudited / perOpNone - 1) * 100:F0} %)");
    foreach (var dir in new[] { store + "-noaudit", store + "-audit" })
    {
        Directory.Delete(dir, recursive: true);
    }

    return 0;
}

Console.Error.WriteLine("usage: load <store> [count] | overhead <store> [count]");
return 2;

async Task<TimeSpan> RunAsync(string path, int iterations, HdsAuditSink? sink)
{
    var options = new HdsStorageOptions { Local = new LocalStorageOptions { Path = path } };
    options.Audit.Sink = sink;
    await using var client = new HdsStorageClient(options);
    for (var i = 0; i < 20; i++)
    {
        await OneAsync(client, "warmup/" + i.ToString(CultureInfo.InvariantCulture));
    }

    var watch = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        await OneAsync(client, "bench/" + i.ToString(CultureInfo.InvariantCulture));
    }

    return watch.Elapsed;
}

async Task OneAsync(HdsStorageClient client, string key)
{
    var receipt = await client.PutAsync(key, new MemoryStream(payload), new PutOptions { Context = context });
    await client.GetPropertiesAsync(key, receipt.VersionId, new HdsRequestOptions { Context = context });
    await using var download = await client.GetAsync(key, new GetOptions { Context = context, VersionId = receipt.VersionId });
    await download.Content.CopyToAsync(Stream.Null);
}

internal sealed class NoOpSink : HdsAuditSink
{
    public override ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken) => ValueTask.FromResult(record);
}
