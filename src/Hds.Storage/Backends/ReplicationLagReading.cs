using System.Globalization;

namespace Hds.Storage.Backends;

/// <summary>
/// A site's replication lag as the background monitor last measured it, judged when the health check asked (it never measures,
/// it reads what the monitor kept): a line for the report, the figures, and what is wrong, naming the site.
/// </summary>
/// <param name="Site">The site's name.</param>
/// <param name="Description">For the site's line of the health report, for example "replication lag 312 ms, lock carried, measured 4 s ago".</param>
internal sealed record ReplicationLagReading(string Site, string Description)
{
    /// <summary>
    /// The lag as far as known: that of the last probe the site showed, or, while the latest probe has not been seen there, the
    /// time since the oldest probe it has not shown was written (a lower bound that grows while replication is stopped).
    /// Null on the site that wrote the last probe, and before any measurement.
    /// </summary>
    public TimeSpan? Lag { get; init; }

    /// <summary>Time since the site was last measured (or last wrote the probe); null before any measurement.</summary>
    public TimeSpan? Age { get; init; }

    /// <summary>Why the site degrades the health (probe not seen in time, served without its lock, measurement stale); null when fine.</summary>
    public string? Problem { get; init; }

    /// <summary>Adds the figures to the health report's data (<c>site:NAME:replicationLagMs</c>, <c>site:NAME:replicationLagAgeSeconds</c>) and the problem, if any, to <paramref name="degraded"/>.</summary>
    public void AddTo(IDictionary<string, object> data, ICollection<string> degraded)
    {
        if (Lag is { } lag)
        {
            data[$"site:{Site}:replicationLagMs"] = Math.Round(lag.TotalMilliseconds, 1);
        }

        if (Age is { } age)
        {
            data[$"site:{Site}:replicationLagAgeSeconds"] = Math.Round(age.TotalSeconds, 1);
        }

        if (Problem is { } problem)
        {
            degraded.Add(problem);
        }
    }

    internal static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s";

    internal static string Milliseconds(TimeSpan value) => value.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
}
