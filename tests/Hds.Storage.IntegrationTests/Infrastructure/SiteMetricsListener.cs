using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Hds.Storage.Diagnostics;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>
/// Listens to the "Hds.Storage" meter: failovers counted, circuit states observed, call durations and replication lags per site. The meter is global:
/// tests running in parallel use unique site names and read their own sites' figures.
/// </summary>
internal sealed class SiteMetricsListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly HashSet<string> _states = [];
    private readonly ConcurrentDictionary<string, long> _failoversBySite = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _durationsBySite = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string Site, long Timestamp)> _successes = new();
    private readonly ConcurrentQueue<(string Site, double Seconds)> _lags = new();
    private readonly ConcurrentQueue<(string Site, double Seconds)> _lastLags = new();
    private long _failovers;

    public SiteMetricsListener()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HdsStorageTelemetry.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "hds.storage.site.failovers")
            {
                Interlocked.Add(ref _failovers, value);
                foreach (var tag in tags)
                {
                    if (tag.Key == "hds.site" && tag.Value is string site)
                    {
                        _failoversBySite.AddOrUpdate(site, value, (_, v) => v + value);
                    }
                }
            }
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name is "hds.storage.site.replication.lag" or "hds.storage.site.replication.last_lag")
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "hds.site" && tag.Value is string name)
                    {
                        (instrument.Name.EndsWith("last_lag", StringComparison.Ordinal) ? _lastLags : _lags).Enqueue((name, value));
                    }
                }
            }

            if (instrument.Name == "hds.storage.site.request.duration")
            {
                string? site = null;
                var success = false;
                foreach (var tag in tags)
                {
                    if (tag.Key == "hds.site" && tag.Value is string name)
                    {
                        site = name;
                        _durationsBySite.AddOrUpdate(name, 1, (_, v) => v + 1);
                    }

                    success |= tag.Key == "outcome" && tag.Value is "success";
                }

                if (site is not null && success)
                {
                    _successes.Enqueue((site, System.Diagnostics.Stopwatch.GetTimestamp()));
                }
            }
        });
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "hds.storage.site.circuit.state")
            {
                lock (_states)
                {
                    foreach (var tag in tags)
                    {
                        _states.Add($"{tag.Value}={value}");
                    }
                }
            }
        });
        _listener.Start();
    }

    public long Failovers
    {
        get
        {
            _listener.RecordObservableInstruments();
            return Interlocked.Read(ref _failovers);
        }
    }

    /// <summary>Time from <paramref name="since"/> (a Stopwatch timestamp) to the first successful call on the site after it.</summary>
    public TimeSpan? FirstSuccessOn(string site, long since) =>
        _successes.Where(s => s.Site == site && s.Timestamp >= since).Select(s => (long?)s.Timestamp).Min() is { } first
            ? System.Diagnostics.Stopwatch.GetElapsedTime(since, first)
            : null;

    public long FailoversOf(string site) => _failoversBySite.GetValueOrDefault(site);

    /// <summary>The replication lags recorded for a site (seconds), oldest first.</summary>
    public IReadOnlyList<double> ReplicationLagsOf(string site) => [.. _lags.Where(l => l.Site == site).Select(l => l.Seconds)];

    /// <summary>The last known replication lag of a site as the gauge reports it now (seconds), or null when it reports none.</summary>
    public double? LastReplicationLagOf(string site)
    {
        _lastLags.Clear();
        _listener.RecordObservableInstruments();
        return _lastLags.Where(l => l.Site == site).Select(l => (double?)l.Seconds).LastOrDefault();
    }

    public long DurationsOf(string site) => _durationsBySite.GetValueOrDefault(site);

    /// <summary>The circuit state last observed for a site (0 closed, 1 open, 2 half-open), or -1.</summary>
    public int CircuitStateOf(string site)
    {
        _listener.RecordObservableInstruments();
        lock (_states)
        {
            var last = _states.LastOrDefault(s => s.StartsWith(site + "=", StringComparison.Ordinal));
            return last is null ? -1 : int.Parse(last[(site.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public string CircuitStates
    {
        get
        {
            lock (_states)
            {
                return string.Join(" ", _states);
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
