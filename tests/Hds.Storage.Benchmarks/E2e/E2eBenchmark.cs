using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Models;
using Hds.Storage.Backends.S3;
using Hds.Storage.Objects;
using Hds.Storage.Retention;
using Microsoft.Win32.SafeHandles;

namespace Hds.Storage.Benchmarks.E2e;

/// <summary>
/// End-to-end benchmark: raw AWSSDK.S3 (<see cref="RawS3"/>) versus Hds.Storage against the same S3 server and the same kind of
/// bucket (object lock, GOVERNANCE one day so the data can be removed as the run goes), interleaved A/B repetitions, medians.
/// Writes docs/benchmarks.md (its end-to-end section) and docs/benchmarks.json.
/// </summary>
internal static class E2eBenchmark
{
    private const string Tenant = "bench";
    private const double MiB = 1024 * 1024;
    private static readonly HdsAccessContext Context = new("bench-runner", Tenant, "care");

    public static async Task<int> RunAsync(string[] args)
    {
        var settings = E2eSettings.Parse(args);
        if (settings is null)
        {
            Console.WriteLine(E2eSettings.Usage);
            return 2;
        }

        var env = S3Env.Load();
        var started = DateTimeOffset.UtcNow;
        var loadBefore = Machine.LoadAverage();
        Console.WriteLine($"e2e: {env.Endpoint} part {settings.PartSize / MiB} MiB x{settings.Concurrency}, reps {settings.Reps}, load {loadBefore}");

        using var rawClient = env.CreateRawClient();
        var bucket = "hds-bench-" + Guid.NewGuid().ToString("N")[..16];
        await rawClient.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectLockEnabledForBucket = true }).ConfigureAwait(false);
        Console.WriteLine($"bucket {bucket}");
        var raw = new RawS3(rawClient, bucket, settings.PartSize, settings.Concurrency, settings.RawChunked);
        var spool = Path.Combine(Path.GetTempPath(), "hds-bench-spool-" + Guid.NewGuid().ToString("N"));
        var results = new List<ScenarioResult>();
        var notes = new List<string>();
        try
        {
            await using (var hds = CreateHdsClient(env, bucket, settings, spool))
            {
                // Warm-up: code paths, connections, the key ring.
                await raw.PutSmallAsync("warm/raw", new byte[1024]).ConfigureAwait(false);
                await raw.GetSingleAsync("warm/raw").ConfigureAwait(false);
                var warm = await hds.PutAsync("warm/hds", new MemoryStream(new byte[1024]), new HdsPutOptions { Context = Context }).ConfigureAwait(false);
                await using (var d = await hds.GetAsync("warm/hds", new HdsGetOptions { Context = Context, VersionId = warm.VersionId }).ConfigureAwait(false))
                {
                    await Drain.ReadAllAsync(d.Content).ConfigureAwait(false);
                }

                if (settings.Runs("large"))
                {
                    await WarmUpLargeAsync(raw, hds).ConfigureAwait(false);
                }

                if (settings.Runs("large"))
                {
                    await RunLargeAsync(settings, raw, hds, env, results, notes).ConfigureAwait(false);
                }

                if (settings.Runs("small"))
                {
                    await RunSmallAsync(settings, raw, hds, results, notes).ConfigureAwait(false);
                }
            }

            if (settings.Runs("memory"))
            {
                await RunMemoryAsync(settings, bucket, results).ConfigureAwait(false);
            }
        }
        finally
        {
            if (Directory.Exists(spool))
            {
                Directory.Delete(spool, recursive: true);
            }

            env.TryRemoveBucket(bucket);
        }

        var loadAfter = Machine.LoadAverage();
        var report = new Report(settings, env, started, DateTimeOffset.UtcNow, loadBefore, loadAfter, results, notes);
        report.Print();
        if (settings.Write)
        {
            report.Write(Path.Combine(S3Env.RepositoryRoot, "docs"));
        }

        return 0;
    }

    /// <summary>Child process: one put + get of one size through one path, printing the peak memory above the baseline.</summary>
    public static async Task<int> RunMemoryChildAsync(string[] args)
    {
        var bucket = args[1];
        var path = args[2];
        var size = long.Parse(args[3], CultureInfo.InvariantCulture) * 1024 * 1024;
        var settings = E2eSettings.Parse(args.Skip(4).Prepend("e2e").ToArray())!;
        var env = S3Env.Load();
        using var rawClient = env.CreateRawClient();
        var raw = new RawS3(rawClient, bucket, settings.PartSize, settings.Concurrency, settings.RawChunked);
        var spool = Path.Combine(Path.GetTempPath(), "hds-bench-spool-" + Guid.NewGuid().ToString("N"));
        var prefix = $"memory/{Guid.NewGuid():N}/";
        await using var hds = CreateHdsClient(env, bucket, settings, spool);
        Func<string, Task> putGet = path == "raw"
            ? async key =>
            {
                await raw.PutLargeAsync(key, size).ConfigureAwait(false);
                await raw.GetSingleAsync(key).ConfigureAwait(false);
            }
            : async key =>
            {
                var receipt = await hds.PutAsync(key, new PatternStream(size), new HdsPutOptions { Context = Context }).ConfigureAwait(false);
                await using var d = await hds.GetAsync(key, new HdsGetOptions { Context = Context, VersionId = receipt.VersionId }).ConfigureAwait(false);
                await Drain.ReadAllAsync(d.Content).ConfigureAwait(false);
            };

        // Warm-up with a small object through the same path (code, connections, key ring), then the baseline.
        if (path == "raw")
        {
            await raw.PutSmallAsync(prefix + "warm", new byte[1024]).ConfigureAwait(false);
            await raw.GetSingleAsync(prefix + "warm").ConfigureAwait(false);
        }
        else
        {
            var w = await hds.PutAsync(prefix + "warm", new MemoryStream(new byte[1024]), new HdsPutOptions { Context = Context }).ConfigureAwait(false);
            await using var d = await hds.GetAsync(prefix + "warm", new HdsGetOptions { Context = Context, VersionId = w.VersionId }).ConfigureAwait(false);
            await Drain.ReadAllAsync(d.Content).ConfigureAwait(false);
        }

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var gcBefore = GC.CollectionCount(2);
        var threadsBefore = Process.GetCurrentProcess().Threads.Count;
        var committedBefore = GC.GetGCMemoryInfo().TotalCommittedBytes;
        using var allocations = AllocationListener.Enabled ? new AllocationListener() : null;
        var smapsBefore = AllocationListener.Enabled ? File.ReadAllText("/proc/self/smaps") : null;
        using var sampler = new MemorySampler();
        await putGet(prefix + "object").ConfigureAwait(false);
        var (rss, managed) = sampler.Stop();
        allocations?.Print(Console.Out);
        if (smapsBefore is not null)
        {
            AllocationListener.PrintRssGrowth(smapsBefore, File.ReadAllText("/proc/self/smaps"), Console.Out);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"MEMORY rss={rss / MiB:F1} managed={managed / MiB:F1} allocated={(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / MiB:F1} gen2={GC.CollectionCount(2) - gcBefore} threads0={threadsBefore} threads1={Process.GetCurrentProcess().Threads.Count} committed0={committedBefore / MiB:F1} committed1={GC.GetGCMemoryInfo().TotalCommittedBytes / MiB:F1}"));
        await raw.DeleteAllAsync(path == "raw" ? prefix : ObjectKeys.ToPhysical(Tenant, prefix)).ConfigureAwait(false);
        if (Directory.Exists(spool))
        {
            Directory.Delete(spool, recursive: true);
        }

        return 0;
    }

    private static HdsStorageClient CreateHdsClient(S3Env env, string bucket, E2eSettings settings, string spool)
    {
        var options = new HdsStorageOptions
        {
            S3 = new HdsS3StorageOptions
            {
                ServiceUrl = env.Endpoint,
                Bucket = bucket,
                AccessKey = env.AccessKey,
                SecretKey = env.SecretKey,
                Region = env.Region,
                PartSize = settings.PartSize,
                MaxConcurrency = settings.Concurrency,
            },
        };

        // One day in GOVERNANCE, the same lock as the raw path, so the benchmark can remove its data as it goes.
        options.RetentionClasses[HdsStorageOptions.DefaultRetentionClassName] = new HdsRetentionClass { Mode = HdsRetentionMode.Governance, Duration = TimeSpan.FromDays(1) };
        options.Encryption.Certificates.Add(Certificates.Operational);
        options.Audit.CheckpointCertificate = Certificates.AuditSigner;
        options.Audit.SpoolDirectory = spool;
        if (settings.NoAudit)
        {
            options.Audit.Sink = new NoAuditSink();
        }

        return new HdsStorageClient(options);
    }

    // The multipart, streaming and ranged paths of both clients run a few times before anything is timed: a system-wide profile
    // (perf) of a run without it showed the runtime's tiered JIT busy for 0.2-0.5 CPU-s inside each of the first timed 256 MiB
    // transfers, on cores shared with the S3 server.
    private static async Task WarmUpLargeAsync(RawS3 raw, HdsStorageClient hds)
    {
        const long size = 48L << 20;
        for (var i = 0; i < 3; i++)
        {
            await raw.PutLargeAsync("warm/raw-large", size).ConfigureAwait(false);
            await raw.GetSingleAsync("warm/raw-large").ConfigureAwait(false);
            await raw.GetSingleAsync("warm/raw-large", (long)i << 20, 1 << 20).ConfigureAwait(false);
            var receipt = await hds.PutAsync("warm/hds-large", new PatternStream(size), new HdsPutOptions { Context = Context }).ConfigureAwait(false);
            await using (var d = await hds.GetAsync("warm/hds-large", new HdsGetOptions { Context = Context, VersionId = receipt.VersionId }).ConfigureAwait(false))
            {
                await Drain.ReadAllAsync(d.Content).ConfigureAwait(false);
            }

            await using (var d = await hds.GetAsync("warm/hds-large", new HdsGetOptions { Context = Context, VersionId = receipt.VersionId, Range = new HdsContentRange((long)i << 20, 1 << 20) })
                .ConfigureAwait(false))
            {
                await Drain.ReadAllAsync(d.Content).ConfigureAwait(false);
            }
        }

        await raw.DeleteAllAsync("warm/raw-large").ConfigureAwait(false);
        await raw.DeleteAllAsync(ObjectKeys.ToPhysical(Tenant, "warm/hds-large")).ConfigureAwait(false);
    }

    private static async Task RunLargeAsync(E2eSettings settings, RawS3 raw, HdsStorageClient hds, S3Env env, List<ScenarioResult> results, List<string> notes)
    {
        var largest = settings.SizesMiB.Max();
        foreach (var sizeMiB in settings.SizesMiB)
        {
            var size = sizeMiB * 1024L * 1024;
            var label = sizeMiB >= 1024 ? $"{sizeMiB / 1024}GiB" : $"{sizeMiB}MiB";
            var rawPut = new List<double>();
            var hdsPut = new List<double>();
            var rawGet = new List<double>();
            var hdsGet = new List<double>();
            var rawGetRanges = new List<double>();
            var rawRanged = new List<double>();
            var hdsRanged = new List<double>();
            for (var rep = 0; rep < settings.Reps; rep++)
            {
                var rawKey = $"large/raw/{label}/{rep}";
                var hdsKey = $"large/hds/{label}/{rep}";
                string? version = null;
                var rawFirst = rep % 2 == 0;
                async Task RawPut() => rawPut.Add(size / MiB / await TimeAsync(() => raw.PutLargeAsync(rawKey, size), $"put-{label} raw").ConfigureAwait(false));
                async Task HdsPut() => hdsPut.Add(size / MiB / await TimeAsync(async () =>
                {
                    var receipt = await hds.PutAsync(hdsKey, new PatternStream(size), new HdsPutOptions { Context = Context }).ConfigureAwait(false);
                    version = receipt.VersionId;
                }, $"put-{label} hds").ConfigureAwait(false));
                async Task RawGet() => rawGet.Add(size / MiB / await TimeAsync(() => raw.GetSingleAsync(rawKey), $"get-{label} raw").ConfigureAwait(false));
                async Task HdsGet() => hdsGet.Add(size / MiB / await TimeAsync(async () =>
                {
                    await using var d = await hds.GetAsync(hdsKey, new HdsGetOptions { Context = Context, VersionId = version }).ConfigureAwait(false);
                    if (await Drain.ReadAllAsync(d.Content).ConfigureAwait(false) != size)
                    {
                        throw new InvalidOperationException("Hds.Storage returned the wrong length.");
                    }
                }, $"get-{label} hds").ConfigureAwait(false));

                foreach (var step in rawFirst ? new[] { RawPut, HdsPut, RawGet, HdsGet } : [HdsPut, RawPut, HdsGet, RawGet])
                {
                    await step().ConfigureAwait(false);
                }

                if (settings.RangedGetBaseline)
                {
                    rawGetRanges.Add(size / MiB / await TimeAsync(() => raw.GetLargeAsync(rawKey, size)).ConfigureAwait(false));
                }

                if (sizeMiB == largest && rep == settings.Reps - 1 && settings.Runs("ranged"))
                {
                    var random = new Random(7);
                    for (var i = 0; i < settings.RangedSamples; i++)
                    {
                        var offset = (long)(random.NextDouble() * (size - (1 << 20)));
                        async Task RawRange() => rawRanged.Add(1000 * await TimeAsync(() => raw.GetSingleAsync(rawKey, offset, 1 << 20)).ConfigureAwait(false));
                        async Task HdsRange() => hdsRanged.Add(1000 * await TimeAsync(async () =>
                        {
                            await using var d = await hds.GetAsync(hdsKey, new HdsGetOptions { Context = Context, VersionId = version, Range = new HdsContentRange(offset, 1 << 20) })
                                .ConfigureAwait(false);
                            await Drain.ReadAllAsync(d.Content).ConfigureAwait(false);
                        }).ConfigureAwait(false));
                        foreach (var step in i % 2 == 0 ? new[] { RawRange, HdsRange } : [HdsRange, RawRange])
                        {
                            await step().ConfigureAwait(false);
                        }
                    }
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{label} rep {rep + 1}: put raw {rawPut[^1]:F0} hds {hdsPut[^1]:F0} MiB/s; get raw {rawGet[^1]:F0} hds {hdsGet[^1]:F0} MiB/s{(rawGetRanges.Count > 0 ? $" (raw parallel ranges {rawGetRanges[^1]:F0})" : string.Empty)}  load {Machine.LoadAverage()}"));
                await raw.DeleteAllAsync(rawKey).ConfigureAwait(false);
                await raw.DeleteAllAsync(ObjectKeys.ToPhysical(Tenant, hdsKey)).ConfigureAwait(false);
                env.TryCollectGarbage();
            }

            results.Add(new ScenarioResult($"put-{label}", "MiB/s", Stats.Median(rawPut), Stats.Median(hdsPut), rawPut, hdsPut));
            results.Add(new ScenarioResult($"get-{label}", "MiB/s", Stats.Median(rawGet), Stats.Median(hdsGet), rawGet, hdsGet));
            if (rawGetRanges.Count > 0)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture,
                    $"get-{label}: raw AWSSDK.S3 with parallel ranged GETs ({settings.PartSize / MiB} MiB, {settings.Concurrency} in flight) instead of one GetObject: median {Stats.Median(rawGetRanges):F0} MiB/s ({string.Join(", ", rawGetRanges.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))})."));
            }

            if (rawRanged.Count > 0)
            {
                results.Add(new ScenarioResult("ranged-get-1MiB-latency", "ms", Stats.Median(rawRanged), Stats.Median(hdsRanged), rawRanged, hdsRanged)
                {
                    Detail = string.Create(CultureInfo.InvariantCulture,
                        $"1 MiB at {settings.RangedSamples} random offsets of the {label} object; p90 raw {Stats.Percentile(rawRanged, 0.9):F1} ms, Hds {Stats.Percentile(hdsRanged, 0.9):F1} ms"),
                });
            }
        }
    }

    private static async Task RunSmallAsync(E2eSettings settings, RawS3 raw, HdsStorageClient hds, List<ScenarioResult> results, List<string> notes)
    {
        var data = new byte[settings.SmallSize];
        RandomNumberGenerator.Fill(data);
        var rawOps = new List<double>();
        var hdsOps = new List<double>();
        var rawLatency = new SmallLatencies();
        var hdsLatency = new SmallLatencies();
        // Rep -1 is a warm-up pass of each path, not timed: a profile showed the runtime's tiered JIT compiling the Hds.Storage
        // path's methods (tier 0, instrumented, tier 1: ~3800 compilations, 1.1 CPU-s) through the first timed passes.
        for (var rep = -1; rep < settings.Reps; rep++)
        {
            var order = rep % 2 == 0 ? new[] { "raw", "hds" } : ["hds", "raw"];
            foreach (var path in order)
            {
                var prefix = $"small/{path}/{rep}/";
                var latency = path == "raw" ? rawLatency : hdsLatency;
                Func<string, Task<double>> put = path == "raw"
                    ? key => TimeAsync(() => settings.RawHead ? raw.PutSmallAndHeadAsync(key, data) : raw.PutSmallAsync(key, data))
                    : key => TimeAsync(() => hds.PutAsync(key, new MemoryStream(data, writable: false), new HdsPutOptions { Context = Context }));
                Func<string, Task<double>> get = path == "raw"
                    ? key => TimeAsync(() => raw.GetSingleAsync(key))
                    : key => TimeAsync(async () =>
                    {
                        await using var d = await hds.GetAsync(key, new HdsGetOptions { Context = Context }).ConfigureAwait(false);
                        await Drain.ReadAllAsync(d.Content).ConfigureAwait(false);
                    });
                var phaseStart = Stopwatch.GetTimestamp();
                using var requests = new S3CallCounter();
                var deadline = Stopwatch.StartNew();
                var ops = 0;
                var workers = Enumerable.Range(0, settings.SmallWorkers).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; deadline.Elapsed.TotalSeconds < settings.SmallSeconds; i++)
                    {
                        var key = $"{prefix}{w}/{i}";
                        latency.Put.Add(1000 * await put(key).ConfigureAwait(false));
                        latency.Get.Add(1000 * await get(key).ConfigureAwait(false));
                        Interlocked.Add(ref ops, 2);
                    }
                })).ToArray();
                await Task.WhenAll(workers).ConfigureAwait(false);
                var rate = ops / deadline.Elapsed.TotalSeconds;
                if (rep < 0)
                {
                    latency.Put.Clear();
                    latency.Get.Clear();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"small warm-up {path}: {rate:F0} ops/s"));
                    continue;
                }

                PrintPhase($"small {path}", phaseStart, Stopwatch.GetTimestamp());
                if (path == "hds")
                {
                    // Every S3 call of Hds.Storage, the audit trail's uploads included, per put + get pair.
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"small rep {rep + 1} hds: {2.0 * requests.Count / ops:F2} S3 calls per put + get"));
                }

                (path == "raw" ? rawOps : hdsOps).Add(rate);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"small rep {rep + 1} {path}: {rate:F0} ops/s  load {Machine.LoadAverage()}"));
            }
        }

        results.Add(new ScenarioResult("small-100KiB-ops", "ops/s", Stats.Median(rawOps), Stats.Median(hdsOps), rawOps, hdsOps)
        {
            Detail = string.Create(CultureInfo.InvariantCulture,
                $"{settings.SmallWorkers} workers, each a put then a get of a new {settings.SmallSize / 1024} KiB object (an op = one put or one get); "
                + $"put p50/p99 raw {rawLatency.Put.P(0.5):F1}/{rawLatency.Put.P(0.99):F1} ms, Hds {hdsLatency.Put.P(0.5):F1}/{hdsLatency.Put.P(0.99):F1} ms; "
                + $"get p50/p99 raw {rawLatency.Get.P(0.5):F1}/{rawLatency.Get.P(0.99):F1} ms, Hds {hdsLatency.Get.P(0.5):F1}/{hdsLatency.Get.P(0.99):F1} ms"),
        });
        notes.Add("small objects are left in the bucket (removed with the bucket at the end of the run when radosgw-admin is available).");
    }

    private static async Task RunMemoryAsync(E2eSettings settings, string bucket, List<ScenarioResult> results)
    {
        foreach (var sizeMiB in settings.SizesMiB)
        {
            var label = sizeMiB >= 1024 ? $"{sizeMiB / 1024}GiB" : $"{sizeMiB}MiB";
            var rawRss = new List<double>();
            var hdsRss = new List<double>();
            var rawManaged = new List<double>();
            var hdsManaged = new List<double>();
            for (var rep = 0; rep < settings.MemoryReps; rep++)
            {
                foreach (var path in rep % 2 == 0 ? new[] { "raw", "hds" } : ["hds", "raw"])
                {
                    var (rss, managed) = await RunChildAsync(bucket, path, sizeMiB, settings).ConfigureAwait(false);
                    (path == "raw" ? rawRss : hdsRss).Add(rss);
                    (path == "raw" ? rawManaged : hdsManaged).Add(managed);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"memory {label} {path}: rss +{rss:F1} MiB, managed +{managed:F1} MiB"));
                }
            }

            results.Add(new ScenarioResult($"memory-{label}", "MiB", Stats.Median(rawRss), Stats.Median(hdsRss), rawRss, hdsRss)
            {
                Detail = string.Create(CultureInfo.InvariantCulture,
                    $"peak process RSS above the baseline during a put + get of {label}; peak managed heap above the baseline: raw {Stats.Median(rawManaged):F1} MiB, Hds {Stats.Median(hdsManaged):F1} MiB"),
            });
        }
    }

    private static async Task<(double Rss, double Managed)> RunChildAsync(string bucket, string path, int sizeMiB, E2eSettings settings)
    {
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(E2eBenchmark).Assembly.Location);
        }

        foreach (var a in new[] { "e2e-memory", bucket, path, sizeMiB.ToString(CultureInfo.InvariantCulture) }.Concat(settings.ChildArguments()))
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("MEMORY ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"memory child failed ({process.ExitCode}): {output}\n{await stderr.ConfigureAwait(false)}");
        Console.WriteLine($"  child {path} {sizeMiB} MiB: {line}");
        foreach (var allocation in output.Split('\n').Where(l => l.StartsWith("  alloc ", StringComparison.Ordinal)))
        {
            Console.WriteLine("  " + allocation);
        }

        var fields = line[7..].Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
        return (fields["rss"], fields["managed"]);
    }

    // HDS_BENCH_PHASES=1 prints each timed phase with its Stopwatch (CLOCK_MONOTONIC) bounds, to slice a system-wide
    // `perf record -a` of the run into raw and Hds.Storage phases (docs/benchmarks.md, profiles).
    private static readonly bool PrintPhases = Environment.GetEnvironmentVariable("HDS_BENCH_PHASES") == "1";

    private static async Task<double> TimeAsync(Func<Task> action, string? phase = null)
    {
        var start = Stopwatch.GetTimestamp();
        await action().ConfigureAwait(false);
        var end = Stopwatch.GetTimestamp();
        PrintPhase(phase, start, end);
        return Stopwatch.GetElapsedTime(start, end).TotalSeconds;
    }

    private static void PrintPhase(string? phase, long start, long end)
    {
        if (PrintPhases && phase is not null)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PHASE {phase.Replace(' ', '/')} {start * 1e9 / Stopwatch.Frequency:F0} {end * 1e9 / Stopwatch.Frequency:F0}"));
        }
    }

    private sealed class NoAuditSink : Hds.Storage.HdsAuditSink
    {
        public override ValueTask<Hds.Storage.Models.HdsAuditRecord> WriteAsync(Hds.Storage.Models.HdsAuditRecord record, CancellationToken cancellationToken) =>
            ValueTask.FromResult(record);
    }

    /// <summary>Diagnosis: raw request latency by response size (small bodies showed a fixed ~40 ms on RGW here).</summary>
    public static async Task<int> RunLatencyProbeAsync()
    {
        var env = S3Env.Load();
        using var s3 = env.CreateRawClient();
        var bucket = "hds-probe-" + Guid.NewGuid().ToString("N")[..12];
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectLockEnabledForBucket = true }).ConfigureAwait(false);
        var raw = new RawS3(s3, bucket, 8 << 20, 2);
        await raw.PutSmallAsync("k", RandomNumberGenerator.GetBytes(2 << 20)).ConfigureAwait(false);
        foreach (var size in new[] { 512, 1500, 4096, 16384, 65536, 1 << 20 })
        {
            var samples = new List<double>();
            for (var i = 0; i < 15; i++)
            {
                samples.Add(1000 * await TimeAsync(() => raw.GetSingleAsync("k", 4096, size)).ConfigureAwait(false));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GET range {size,8} B: median {Stats.Median(samples):F1} ms"));
        }

        var heads = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            heads.Add(1000 * await TimeAsync(() => s3.GetObjectMetadataAsync(bucket, "k")).ConfigureAwait(false));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HEAD: median {Stats.Median(heads):F1} ms"));
        env.TryRemoveBucket(bucket);
        return 0;
    }

    private sealed class SmallLatencies
    {
        public LatencyList Put { get; } = new();

        public LatencyList Get { get; } = new();
    }

    private sealed class LatencyList
    {
        private readonly List<double> _values = [];

        public void Clear()
        {
            lock (_values)
            {
                _values.Clear();
            }
        }

        public void Add(double value)
        {
            lock (_values)
            {
                _values.Add(value);
            }
        }

        public double P(double p)
        {
            lock (_values)
            {
                return Stats.Percentile(_values, p);
            }
        }
    }
}

internal sealed record ScenarioResult(string Scenario, string Unit, double Raw, double Hds, IReadOnlyList<double> RawSamples, IReadOnlyList<double> HdsSamples)
{
    public double Ratio => Raw == 0 ? double.NaN : Hds / Raw;

    public string? Detail { get; init; }
}

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.OrderBy(v => v).ToArray();
        if (p == 0.5)
        {
            var mid = sorted.Length / 2;
            return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        }

        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

/// <summary>Samples process RSS (/proc/self/statm) and the managed heap every 2 ms on its own thread; reports peaks above the start.</summary>
/// <summary>Counts Hds.Storage's S3 calls (one site-duration measurement each) while it exists.</summary>
internal sealed class S3CallCounter : IDisposable
{
    private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
    private long _count;

    public S3CallCounter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Hds.Storage" && instrument.Name == "hds.storage.site.request.duration")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref _count));
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    public void Dispose() => _listener.Dispose();
}

internal sealed class MemorySampler : IDisposable
{
    private readonly Thread _thread;
    private readonly long _rssBase = Machine.Rss();
    private readonly long _managedBase = GC.GetTotalMemory(false);
    private long _rssPeak;
    private long _managedPeak;
    private volatile bool _stop;

    public MemorySampler()
    {
        _rssPeak = _rssBase;
        _managedPeak = _managedBase;
        _thread = new Thread(Loop) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    public (double Rss, double Managed) Stop()
    {
        _stop = true;
        _thread.Join();
        Sample();
        return (_rssPeak - _rssBase, _managedPeak - _managedBase);
    }

    public void Dispose() => _stop = true;

    private void Loop()
    {
        while (!_stop)
        {
            Sample();
            Thread.Sleep(2);
        }
    }

    private void Sample()
    {
        _rssPeak = Math.Max(_rssPeak, Machine.Rss());
        _managedPeak = Math.Max(_managedPeak, GC.GetTotalMemory(false));
    }
}

internal static class Machine
{
    private static readonly Lock StatmLock = new();
    private static readonly byte[] StatmBuffer = new byte[256];
    private static SafeFileHandle? _statm;

    /// <summary>
    /// Resident set size from /proc/self/statm, without allocating: the sampler runs every 2 ms during the measured transfer, and
    /// a <c>File.ReadAllText</c> there made ~25 MiB of garbage per GiB transferred that counted in the figures it measured.
    /// </summary>
    public static long Rss()
    {
        lock (StatmLock)
        {
            _statm ??= File.OpenHandle("/proc/self/statm");
            var length = RandomAccess.Read(_statm, StatmBuffer, 0); // pread at 0: procfs regenerates the line
            var field = 0;
            long pages = 0;
            for (var i = 0; i < length && field <= 1; i++)
            {
                var b = StatmBuffer[i];
                if (b == (byte)' ')
                {
                    field++;
                }
                else if (field == 1)
                {
                    pages = (pages * 10) + (b - (byte)'0');
                }
            }

            return pages * Environment.SystemPageSize;
        }
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    public static string Cpu()
    {
        var model = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{Environment.ProcessorCount} vCPU{(model is null ? string.Empty : ", " + model)}";
    }

    public static string MemoryTotal()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal", StringComparison.Ordinal)) : null;
        return line is null ? "n/a" : $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024 / 1024} GiB RAM";
    }
}

/// <summary>An RSA key-ring certificate made in memory for the run.</summary>
internal static class Certificates
{
    private static readonly Lazy<X509Certificate2> LazyOperational = new(() =>
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=hds-bench", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    });

    private static readonly Lazy<X509Certificate2> LazyAuditSigner = new(() =>
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=hds-bench-audit", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    });

    public static X509Certificate2 Operational => LazyOperational.Value;

    /// <summary>The audit checkpoint signer (required on S3).</summary>
    public static X509Certificate2 AuditSigner => LazyAuditSigner.Value;
}

/// <summary>The test S3 server's settings: tests/s3-server/.env, overridden by environment variables of the same names.</summary>
internal sealed class S3Env
{
    public static string RepositoryRoot { get; } = FindRoot();

    public required Uri Endpoint { get; init; }

    public required string AccessKey { get; init; }

    public required string SecretKey { get; init; }

    public required string Region { get; init; }

    public string? CephConf { get; init; }

    public static S3Env Load()
    {
        var file = Path.Combine(RepositoryRoot, "tests", "s3-server", ".env");
        var values = File.Exists(file)
            ? File.ReadAllLines(file).Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#')).Select(l => l.Split('=', 2))
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        string Get(string name, string? fallback = null) =>
            Environment.GetEnvironmentVariable(name) ?? values.GetValueOrDefault(name) ?? fallback
            ?? throw new InvalidOperationException($"{name} is not set: start the test S3 server (tests/s3-server/start.sh) or set it.");
        return new S3Env
        {
            Endpoint = new Uri(Get("HDS_S3_ENDPOINT_A")),
            AccessKey = Get("AWS_ACCESS_KEY_ID"),
            SecretKey = Get("AWS_SECRET_ACCESS_KEY"),
            Region = Get("HDS_S3_REGION", "us-east-1"),
            CephConf = Environment.GetEnvironmentVariable("HDS_S3_CONF") ?? values.GetValueOrDefault("HDS_S3_CONF"),
        };
    }

    /// <summary>The raw client: the AmazonS3Config Hds.Storage uses, without its precomputed payload hash (the SDK hashes the body itself).</summary>
    public AmazonS3Client CreateRawClient() => new(
        new BasicAWSCredentials(AccessKey, SecretKey),
        new AmazonS3Config
        {
            ServiceURL = Endpoint.ToString(),
            ForcePathStyle = true,
            AuthenticationRegion = Region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromSeconds(100),
            MaxErrorRetry = 2,
        });

    /// <summary>Frees deleted data now (RGW's garbage collection otherwise waits): keeps the shared test cluster's disk in check.</summary>
    public void TryCollectGarbage() => TryAdmin("gc", "process", "--include-all");

    /// <summary>Removes the run's bucket with its locked objects (the admin path; WORM is enforced at the S3 API only).</summary>
    public void TryRemoveBucket(string bucket) => TryAdmin("bucket", "rm", "--bucket=" + bucket, "--purge-objects", "--bypass-gc");

    private void TryAdmin(params string[] args)
    {
        if (CephConf is null || !File.Exists(CephConf))
        {
            return;
        }

        try
        {
            var psi = new ProcessStartInfo("radosgw-admin") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(CephConf);
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            using var process = Process.Start(psi)!;
            _ = process.StandardOutput.ReadToEnd();
            _ = process.StandardError.ReadToEnd();
            process.WaitForExit(120_000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No radosgw-admin here: another S3 server; leave the data to its lifecycle.
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hds.Storage.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
