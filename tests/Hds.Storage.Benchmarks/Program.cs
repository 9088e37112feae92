using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Running;
using Hds.Storage.Benchmarks;

// dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- --filter *Pipeline*
// dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- --quick   (best of 15 runs per case; robust on a busy machine)
// dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- e2e [--quick|--help]   (raw AWSSDK.S3 vs Hds.Storage on the test S3 server)
if (args.Length > 0 && args[0] == "e2e")
{
    return await Hds.Storage.Benchmarks.E2e.E2eBenchmark.RunAsync(args);
}

// dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- audit-trail --records 10000000   (issue 17: search, export, DuckDB)
if (args.Length > 0 && args[0] == "audit-trail")
{
    return await Hds.Storage.Benchmarks.AuditTrail.AuditTrailBenchmark.RunAsync(args);
}

if (args.Length > 0 && args[0] == "e2e-latency")
{
    return await Hds.Storage.Benchmarks.E2e.E2eBenchmark.RunLatencyProbeAsync();
}

if (args.Length > 0 && args[0] == "e2e-memory")
{
    return await Hds.Storage.Benchmarks.E2e.E2eBenchmark.RunMemoryChildAsync(args);
}

if (args.Length > 0 && args[0] == "--quick")
{
    foreach (var segment in new[] { 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024 })
    {
        var bench = new PipelineBenchmarks { SegmentSize = segment };
        bench.Setup();
        var pe = Best(() => bench.Primitives_encrypt_and_sha256());
        var qe = Best(() => bench.Pipeline_encrypt_and_digest().GetAwaiter().GetResult());
        var pd = Best(() => bench.Primitives_decrypt_and_sha256());
        var qd = Best(() => bench.Pipeline_decrypt_and_verify().GetAwaiter().GetResult());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"S={segment / 1024,5} KiB  encrypt: primitives {Mbps(pe),5:F0} MB/s, pipeline {Mbps(qe),5:F0} MB/s ({pe / qe:P0})   decrypt: primitives {Mbps(pd),5:F0} MB/s, pipeline {Mbps(qd),5:F0} MB/s ({pd / qd:P0})"));
    }

    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

static double Best(Action action)
{
    action();
    var best = double.MaxValue;
    for (var i = 0; i < 15; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        best = Math.Min(best, watch.Elapsed.TotalSeconds);
    }

    return best;
}

static double Mbps(double seconds) => PipelineBenchmarks.PayloadBytes / seconds / 1e6;

/// <summary>Entry point type (for BenchmarkSwitcher).</summary>
public partial class Program;
