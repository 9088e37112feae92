using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using static Hds.Storage.Backends.ReplicationLagReading;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// Measures the replication lag between the sites in the background (<see cref="HdsS3StorageOptions.ReplicationLagProbeInterval"/>):
/// every interval one <see cref="ReplicationProbe"/> is written on the best writable site and awaited on every other site for at
/// most <see cref="HdsS3StorageOptions.ReplicationLagTimeout"/>, and the outcome per site is kept (lag, lock carried, seen or not, when)
/// and recorded in the metrics. The health check reads what is kept (<see cref="Read"/>) and never writes. Owned by the
/// <see cref="SiteRouter"/>: started with it, stopped by its disposal, which it never holds up. Time is the router's TimeProvider.
/// </summary>
internal sealed class ReplicationLagMonitor : IAsyncDisposable
{
    // Disposal cancels the loop and waits this long at most (wall-clock: a test's frozen clock must not hold up disposal).
    private static readonly TimeSpan DisposeBound = TimeSpan.FromSeconds(2);

    private readonly Dictionary<string, SiteState> _states;
    private readonly Func<CancellationToken, Task<LagRound>> _round;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly DateTimeOffset _started;
    private Task _loop = Task.CompletedTask;
    private string? _writeFailure;
    private long _rounds;

    /// <param name="sites">The names of the sites, each measured when another wrote the probe.</param>
    /// <param name="interval">Time between the starts of two rounds (a round longer than that is followed by the next at once).</param>
    /// <param name="timeout">How long a site is given to show a probe.</param>
    /// <param name="time">The clock of the rounds and of the measurements' ages.</param>
    /// <param name="logger">For the transitions (a site stops or starts showing the probes, loses the lock, the probe cannot be written).</param>
    /// <param name="round">One round: writes a probe and awaits it on the other sites (<see cref="ProbeAsync"/>, or a test's).</param>
    public ReplicationLagMonitor(
        IEnumerable<string> sites, TimeSpan interval, TimeSpan timeout, TimeProvider time, ILogger logger, Func<CancellationToken, Task<LagRound>> round)
    {
        _states = sites.ToDictionary(name => name, _ => new SiteState(), StringComparer.Ordinal);
        Interval = interval;
        Timeout = timeout;
        _time = time;
        _logger = logger;
        _round = round;
        _started = time.GetUtcNow();
    }

    public TimeSpan Interval { get; }

    public TimeSpan Timeout { get; }

    /// <summary>
    /// A site's measurement older than this is stale: three intervals, plus the longest a round may take (writing the probe and
    /// waiting for it, each within the timeout), so that only a monitor that cannot measure is reported, never a slow round.
    /// </summary>
    public TimeSpan StaleAfter => (3 * Interval) + (2 * Timeout);

    /// <summary>Rounds completed (tests wait on it).</summary>
    public long Rounds => Interlocked.Read(ref _rounds);

    /// <summary>The monitor of <paramref name="router"/>'s sites when <paramref name="options"/> ask for one (started), else null.</summary>
    public static ReplicationLagMonitor? StartFor(SiteRouter router, HdsS3StorageOptions options, ILogger logger)
    {
        if (options.ReplicationLagProbeInterval <= TimeSpan.Zero || router.Sites.Count < 2)
        {
            return null;
        }

        var monitor = new ReplicationLagMonitor(
            router.Sites.Select(s => s.Name), options.ReplicationLagProbeInterval, options.ReplicationLagTimeout, router.Time, logger,
            ct => ProbeAsync(router, options.ReplicationLagTimeout, ct));
        monitor.Start();
        SiteLog.LagMonitorStarted(logger, options.ReplicationLagProbeInterval, ReplicationProbe.MonitorKey, options.ReplicationLagTimeout);
        return monitor;
    }

    /// <summary>
    /// One round on the router's sites: the probe is written on the first writable site in the router's order (healthy first) that
    /// takes it, all tries within <paramref name="timeout"/>, then awaited on every other site for at most <paramref name="timeout"/>,
    /// each asked directly (not routed: the point is what each site holds; probe calls count in no site's traffic and open no circuit).
    /// </summary>
    public static async Task<LagRound> ProbeAsync(SiteRouter router, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        using var bound = new CancellationTokenSource(timeout, router.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token);
        foreach (var writer in router.Candidates(SiteAccess.Write))
        {
            string versionId;
            try
            {
                versionId = await ReplicationProbe.WriteAsync(writer.Client, router.Bucket, ReplicationProbe.MonitorKey, router.Time, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                failures.Add($"{writer.Name}: {(bound.IsCancellationRequested ? "no answer within " + Seconds(timeout) : SiteRouter.Describe(ex))}");
                if (bound.IsCancellationRequested)
                {
                    break;
                }

                continue;
            }

            var acknowledged = router.Time.GetTimestamp();
            var writtenAt = router.Time.GetUtcNow();
            var replicas = router.Sites.Where(s => s != writer).ToList();
            var sightings = await Task.WhenAll(replicas.Select(site => ReplicationProbe.AwaitAsync(
                site.Client, router.Bucket, ReplicationProbe.MonitorKey, versionId, acknowledged, timeout, router.Time, cancellationToken))).ConfigureAwait(false);
            return new LagRound(writer.Name, writtenAt, replicas.Select((site, i) => (site.Name, sightings[i])).ToDictionary(x => x.Name, x => x.Item2, StringComparer.Ordinal), null);
        }

        return new LagRound(null, router.Time.GetUtcNow(), new Dictionary<string, ProbeSighting>(), string.Join("; ", failures));
    }

    public void Start()
    {
        // The loop outlives whatever operation or trace the client was created in: it must not carry its context.
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(LoopAsync);
        }
    }

    /// <summary>One round now, and its outcome kept (the loop's step; tests call it directly).</summary>
    public async Task RunRoundAsync(CancellationToken cancellationToken)
    {
        LagRound round;
        try
        {
            round = await _round(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            round = new LagRound(null, _time.GetUtcNow(), new Dictionary<string, ProbeSighting>(), SiteRouter.Describe(ex));
        }

        Record(round);
        Interlocked.Increment(ref _rounds);
    }

    /// <summary>What is known of <paramref name="site"/>'s lag now, judged; null for a site the monitor does not measure.</summary>
    public ReplicationLagReading? Read(string site)
    {
        if (!_states.TryGetValue(site, out var state))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return Judge(site, state, now);
        }
    }

    /// <summary>The last known lag of every site that has one (the gauge's measurements).</summary>
    public IEnumerable<Measurement<double>> Observe()
    {
        var now = _time.GetUtcNow();
        var lags = new List<(string Site, TimeSpan Lag)>(_states.Count);
        lock (_gate)
        {
            foreach (var (site, state) in _states)
            {
                if (state.CurrentLag(now) is { } lag)
                {
                    lags.Add((site, lag));
                }
            }
        }

        return lags.Select(x => new Measurement<double>(x.Lag.TotalSeconds, new KeyValuePair<string, object?>("hds.site", x.Site)));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.WaitAsync(DisposeBound, TimeProvider.System).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A call that ignores its cancellation: left to end on its own (it only writes a probe or reads one).
            return;
        }

        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            do
            {
                await RunRoundAsync(_stop.Token).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // disposed while a round was in flight
        }
    }

    private void Record(LagRound round)
    {
        var now = _time.GetUtcNow();
        var measured = new List<(string Site, TimeSpan Lag)>();
        lock (_gate)
        {
            if (round.Writer is null)
            {
                if (_writeFailure is null)
                {
                    SiteLog.LagProbeNotWritten(_logger, round.Failure ?? "no writable site");
                }

                _writeFailure = round.Failure ?? "no writable site";
                return;
            }

            _writeFailure = null;
            foreach (var (site, state) in _states)
            {
                if (site == round.Writer)
                {
                    state.WrittenHere(now);
                }
                else if (round.Sightings.TryGetValue(site, out var sighting))
                {
                    if (sighting.Lag is { } lag)
                    {
                        measured.Add((site, lag));
                    }

                    LogTransition(site, state, sighting);
                    state.Saw(sighting, round.WrittenAt, now);
                }
            }
        }

        foreach (var (site, lag) in measured)
        {
            SiteMetrics.RecordReplicationLag(site, lag);
        }
    }

    private void LogTransition(string site, SiteState state, ProbeSighting sighting)
    {
        if (!sighting.Seen && state.Outcome != Outcome.NotSeen)
        {
            SiteLog.LagProbeNotSeen(_logger, site, Timeout, sighting.Failure ?? "replication to it is stopped or lagging");
        }
        else if (sighting.Lag is { } lag && state.Outcome == Outcome.NotSeen)
        {
            SiteLog.LagProbeSeenAgain(_logger, site, lag);
        }

        if (sighting.Seen && !sighting.Locked && !(state.Outcome == Outcome.Seen && !state.Locked))
        {
            SiteLog.LagProbeUnlocked(_logger, site);
        }
    }

    private ReplicationLagReading Judge(string site, SiteState state, DateTimeOffset now)
    {
        var lastWrite = _writeFailure is { } failure ? $"; the last probe could not be written ({failure})" : string.Empty;
        if (state.At is not { } at)
        {
            var running = now - _started;
            return new ReplicationLagReading(site, "replication lag not measured yet")
            {
                Problem = running > StaleAfter ? $"site {site}: replication lag not measured in the {Seconds(running)} since the monitor started{lastWrite}" : null,
            };
        }

        var age = now - at;
        var description = state.Outcome switch
        {
            Outcome.WrittenHere => $"replication probe written here {Seconds(age)} ago",
            Outcome.Seen => $"replication lag {Milliseconds(state.Lag!.Value)}, {(state.Locked ? "lock carried" : "served WITHOUT its lock")}, measured {Seconds(age)} ago",
            _ => $"replication probe not seen within {Seconds(Timeout)} (unseen for {Seconds(state.CurrentLag(now)!.Value)}), measured {Seconds(age)} ago",
        };
        string? problem = null;
        if (age > StaleAfter)
        {
            problem = $"site {site}: replication lag last measured {Seconds(age)} ago (a probe every {Seconds(Interval)}){lastWrite}";
        }
        else if (state.Outcome == Outcome.NotSeen)
        {
            problem = $"site {site}: replication probe not seen within {Seconds(Timeout)} "
                + (state.Failure is { } down ? $"(the site does not answer: {down})" : "(replication to it is stopped or lagging)");
        }
        else if (state.Outcome == Outcome.Seen && !state.Locked)
        {
            problem = $"site {site}: replication probe served without its object lock (replicas there do not carry their lock)";
        }

        return new ReplicationLagReading(site, description) { Lag = state.CurrentLag(now), Age = age, Problem = problem };
    }

    private enum Outcome
    {
        None,
        WrittenHere,
        Seen,
        NotSeen,
    }

    // What the monitor last knew of one site; read and changed under _gate.
    private sealed class SiteState
    {
        public DateTimeOffset? At { get; private set; }

        public Outcome Outcome { get; private set; }

        public TimeSpan? Lag { get; private set; }

        public bool Locked { get; private set; }

        public string? Failure { get; private set; }

        // When the oldest probe written since the last one this site showed was written; null when it showed the last one.
        public DateTimeOffset? UnseenSince { get; private set; }

        public TimeSpan? CurrentLag(DateTimeOffset now) => Outcome switch
        {
            Outcome.Seen => Lag,
            Outcome.NotSeen => now - UnseenSince!.Value,
            _ => null,
        };

        public void WrittenHere(DateTimeOffset now)
        {
            At = now;
            Outcome = Outcome.WrittenHere;
            UnseenSince = null;
            Failure = null;
        }

        public void Saw(ProbeSighting sighting, DateTimeOffset writtenAt, DateTimeOffset now)
        {
            At = now;
            Failure = sighting.Failure;
            if (sighting.Lag is { } lag)
            {
                Outcome = Outcome.Seen;
                Lag = lag;
                Locked = sighting.Locked;
                UnseenSince = null;
            }
            else
            {
                UnseenSince = Outcome == Outcome.NotSeen ? UnseenSince : writtenAt;
                Outcome = Outcome.NotSeen;
            }
        }
    }
}

/// <summary>One round of the monitor.</summary>
/// <param name="Writer">The site that took the probe; null when none did.</param>
/// <param name="WrittenAt">When the probe was acknowledged (or when the round gave up writing it).</param>
/// <param name="Sightings">Per other site, what it showed of the probe.</param>
/// <param name="Failure">When no site took the probe: why, per site tried.</param>
internal sealed record LagRound(string? Writer, DateTimeOffset WrittenAt, IReadOnlyDictionary<string, ProbeSighting> Sightings, string? Failure);
