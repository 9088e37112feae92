using System.Globalization;
using Hds.Storage.Backends.S3;

namespace Hds.Storage.Benchmarks.E2e;

internal sealed class E2eSettings
{
    public const string Usage = """
        dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- e2e [options]
          --reps N            interleaved A/B repetitions of each scenario (default 3)
          --sizes 256,1024    large object sizes in MiB (default 256,1024)
          --quick             --reps 1 --sizes 64 --small-seconds 3 --ranged 6 (a smoke run, minutes)
          --small-seconds S   seconds per small-object pass (default 8)
          --workers N         concurrent small-object workers (default 16)
          --ranged N          ranged-get samples per path (default 15)
          --memory-reps N     child processes per path and size for the memory scenario (default 1)
          --part-mib N        part size and download range size in MiB (default: S3StorageOptions.PartSize)
          --concurrency N     parts/ranges in flight per transfer (default: S3StorageOptions.MaxConcurrency)
          --only a,b          scenarios: large, ranged, small, memory (default all)
          --raw-chunked        raw path with the SDK's default aws-chunked streaming signatures (default: plain signed bodies, as Hds.Storage)
          --ranged-get        also time raw AWSSDK.S3 reading large objects with parallel ranged GETs (both paths use one GET)
          --raw-head          diagnosis only: the raw small put also sends the HEAD Hds.Storage uses to verify the lock
          --audit none        diagnosis only: Hds.Storage with a no-op audit sink (the default is the real spool + uploads)
          --no-write          print only; do not write docs/benchmarks.md and docs/benchmarks.json
        """;

    private readonly HashSet<string> _only = new(StringComparer.Ordinal);
    private readonly List<string> _childArguments = [];

    public int Reps { get; private set; } = 3;

    public IReadOnlyList<int> SizesMiB { get; private set; } = [256, 1024];

    public double SmallSeconds { get; private set; } = 8;

    public int SmallWorkers { get; private set; } = 16;

    public int SmallSize { get; } = 100 * 1024;

    public int RangedSamples { get; private set; } = 15;

    public int MemoryReps { get; private set; } = 1;

    public int PartSize { get; private set; } = new HdsS3StorageOptions().PartSize;

    public int Concurrency { get; private set; } = new HdsS3StorageOptions().MaxConcurrency;

    public bool RangedGetBaseline { get; private set; }

    public bool Write { get; private set; } = true;

    public bool NoAudit { get; private set; }

    public bool RawChunked { get; private set; }

    public bool RawHead { get; private set; }

    public bool Quick { get; private set; }

    public string CommandLine { get; private set; } = string.Empty;

    public bool Runs(string scenario) => _only.Count == 0 || _only.Contains(scenario);

    public IEnumerable<string> ChildArguments() => _childArguments;

    public static E2eSettings? Parse(string[] args)
    {
        var s = new E2eSettings { CommandLine = string.Join(' ', args) };
        for (var i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--reps": s.Reps = NextInt(); break;
                case "--sizes": s.SizesMiB = Next().Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--quick": s.Quick = true; s.Reps = 1; s.SizesMiB = [64]; s.SmallSeconds = 3; s.RangedSamples = 6; break;
                case "--small-seconds": s.SmallSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--workers": s.SmallWorkers = NextInt(); break;
                case "--ranged": s.RangedSamples = NextInt(); break;
                case "--memory-reps": s.MemoryReps = NextInt(); break;
                case "--part-mib": s.PartSize = NextInt() * 1024 * 1024; s._childArguments.AddRange(["--part-mib", args[i]]); break;
                case "--concurrency": s.Concurrency = NextInt(); s._childArguments.AddRange(["--concurrency", args[i]]); break;
                case "--only": foreach (var o in Next().Split(',')) { s._only.Add(o); } break;
                case "--ranged-get": s.RangedGetBaseline = true; break;
                case "--raw-chunked": s.RawChunked = true; s._childArguments.Add("--raw-chunked"); break;
                case "--no-write": s.Write = false; break;
                case "--raw-head": s.RawHead = true; break;
                case "--audit": s.NoAudit = Next() == "none"; if (s.NoAudit) { s._childArguments.AddRange(["--audit", "none"]); } break;
                default: return null;
            }
        }

        return s;
    }
}
