using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Hds.Storage.Benchmarks.E2e;

/// <summary>
/// Diagnosis for the memory scenario (<c>HDS_BENCH_ALLOC=1</c>): the runtime's allocation ticks (one event per ~100 KB allocated,
/// with the type that crossed the threshold), summed by type, so the garbage behind an RSS figure can be attributed.
/// </summary>
internal sealed class AllocationListener : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    public static bool Enabled => Environment.GetEnvironmentVariable("HDS_BENCH_ALLOC") == "1";

    public void Print(TextWriter writer)
    {
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(25))
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  alloc {bytes / 1048576.0,8:F1} MiB  {type}"));
        }
    }

    /// <summary>Which mappings of /proc/self/smaps grew in resident size between two reads (native vs GC heap vs code).</summary>
    public static void PrintRssGrowth(string before, string after, TextWriter writer)
    {
        var b = ParseSmaps(before);
        foreach (var (mapping, rss) in ParseSmaps(after).Select(p => (p.Key, p.Value - b.GetValueOrDefault(p.Key))).Where(p => p.Item2 > 256).OrderByDescending(p => p.Item2).Take(15))
        {
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  alloc rss+{rss / 1024.0,7:F1} MiB  {mapping}"));
        }
    }

    private static Dictionary<string, long> ParseSmaps(string smaps)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in smaps.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 5 && parts[0].Contains('-', StringComparison.Ordinal) && !line.StartsWith("VmFlags", StringComparison.Ordinal))
            {
                current = parts.Length >= 6 ? parts[5] + " " + parts[0] : "[anon] " + parts[0];
            }
            else if (current is not null && parts.Length >= 2 && parts[0] == "Rss:")
            {
                result[current] = result.GetValueOrDefault(current) + long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
        {
            return;
        }

        var type = eventData.PayloadNames.IndexOf("TypeName") is var t and >= 0 ? eventData.Payload![t] as string ?? "?" : "?";
        var amount = eventData.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(eventData.Payload![a], CultureInfo.InvariantCulture) : 0;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }
}
