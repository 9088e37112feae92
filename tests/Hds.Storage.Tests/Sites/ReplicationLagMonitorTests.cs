using System.Diagnostics;
using Hds.Storage.Backends.S3;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hds.Storage.Tests.Sites;

/// <summary>
/// What the replication-lag monitor keeps and how the health judges it, on a fake clock with rounds made by the test (no server):
/// a probe not seen in time, served without its lock, or a measurement older than three intervals plus the timeout, names the site.
/// </summary>
public sealed class ReplicationLagMonitorTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly Queue<Func<LagRound>> _rounds = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ReplicationLagMonitor Monitor(Func<CancellationToken, Task<LagRound>>? round = null) =>
        new(["z1", "z2", "z3"], Interval, Timeout, _time, NullLogger.Instance, round ?? (_ => Task.FromResult(_rounds.Dequeue()())));

    // z1 writes a probe now; the round ends `waited` later with what z2 and z3 showed.
    private async Task RoundAsync(ReplicationLagMonitor monitor, ProbeSighting z2, ProbeSighting z3, TimeSpan? waited = null)
    {
        var writtenAt = _time.GetUtcNow();
        _time.Advance(waited ?? TimeSpan.FromSeconds(1));
        _rounds.Enqueue(() => new LagRound("z1", writtenAt, new Dictionary<string, ProbeSighting> { ["z2"] = z2, ["z3"] = z3 }, null));
        await monitor.RunRoundAsync(Ct);
    }

    private static ProbeSighting Seen(int milliseconds, bool locked = true) => new(TimeSpan.FromMilliseconds(milliseconds), locked, null);

    private static ProbeSighting NotSeen(string? failure = null) => new(null, false, failure);

    [Fact]
    public async Task A_round_keeps_each_replicas_lag_and_its_age_and_the_writing_site_is_not_measured()
    {
        await using var monitor = Monitor();
        await RoundAsync(monitor, Seen(300), Seen(1200));
        _time.Advance(TimeSpan.FromSeconds(4));

        var z2 = monitor.Read("z2")!;
        Assert.Equal((TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(4), null), (z2.Lag, z2.Age, z2.Problem));
        Assert.Equal("replication lag 300 ms, lock carried, measured 4 s ago", z2.Description);
        Assert.Equal(TimeSpan.FromMilliseconds(1200), monitor.Read("z3")!.Lag);
        var z1 = monitor.Read("z1")!;
        Assert.Equal((null, null), (z1.Lag, z1.Problem));
        Assert.StartsWith("replication probe written here", z1.Description, StringComparison.Ordinal);
        Assert.Null(monitor.Read("elsewhere"));
    }

    [Fact]
    public async Task A_site_that_does_not_show_the_probe_in_time_is_named_and_its_lag_grows_until_it_shows_one()
    {
        await using var monitor = Monitor();
        await RoundAsync(monitor, NotSeen(), Seen(200), waited: Timeout);

        var z2 = monitor.Read("z2")!;
        Assert.Equal("site z2: replication probe not seen within 10 s (replication to it is stopped or lagging)", z2.Problem);
        Assert.Equal(Timeout, z2.Lag); // at least the time since the probe was written
        Assert.Null(monitor.Read("z3")!.Problem);

        _time.Advance(Interval); // the next round starts 15 s after the first probe, and ends 10 s later
        await RoundAsync(monitor, NotSeen(), Seen(200), waited: Timeout);
        Assert.Equal(TimeSpan.FromSeconds(25), monitor.Read("z2")!.Lag); // since the first probe it did not show
        Assert.Contains("unseen for 25 s", monitor.Read("z2")!.Description, StringComparison.Ordinal);

        await RoundAsync(monitor, Seen(800), Seen(200));
        Assert.Equal((TimeSpan.FromMilliseconds(800), null), (monitor.Read("z2")!.Lag, monitor.Read("z2")!.Problem));
    }

    [Fact]
    public async Task A_site_that_does_not_answer_is_named_with_the_reason_and_a_replica_without_its_lock_is_named_too()
    {
        await using var monitor = Monitor();
        await RoundAsync(monitor, NotSeen("HttpRequestException: SocketException"), Seen(250, locked: false), waited: Timeout);

        Assert.Equal("site z2: replication probe not seen within 10 s (the site does not answer: HttpRequestException: SocketException)", monitor.Read("z2")!.Problem);
        var z3 = monitor.Read("z3")!;
        Assert.Equal("site z3: replication probe served without its object lock (replicas there do not carry their lock)", z3.Problem);
        Assert.Contains("served WITHOUT its lock", z3.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_measurement_older_than_three_intervals_and_a_whole_round_is_stale_and_says_why_nothing_was_measured()
    {
        await using var monitor = Monitor();
        Assert.Equal(TimeSpan.FromSeconds(35), monitor.StaleAfter); // three intervals, and a round that writes and waits as long as it may
        await RoundAsync(monitor, Seen(300), Seen(300));

        _time.Advance(monitor.StaleAfter);
        Assert.All(["z1", "z2", "z3"], site => Assert.Null(monitor.Read(site)!.Problem));

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("site z2: replication lag last measured 36 s ago (a probe every 5 s)", monitor.Read("z2")!.Problem);
        Assert.StartsWith("site z1: replication lag last measured 36 s ago", monitor.Read("z1")!.Problem, StringComparison.Ordinal);

        // The rounds go on but no site takes the probe: the stale sites say why.
        _rounds.Enqueue(() => new LagRound(null, _time.GetUtcNow(), new Dictionary<string, ProbeSighting>(), "z1: 503 ServiceUnavailable; z2: HttpRequestException"));
        await monitor.RunRoundAsync(Ct);
        Assert.Equal(
            "site z2: replication lag last measured 36 s ago (a probe every 5 s); the last probe could not be written (z1: 503 ServiceUnavailable; z2: HttpRequestException)",
            monitor.Read("z2")!.Problem);
        Assert.Equal(TimeSpan.FromMilliseconds(300), monitor.Read("z2")!.Lag); // the last known, with its age
        Assert.Equal(TimeSpan.FromSeconds(36), monitor.Read("z2")!.Age);
    }

    [Fact]
    public async Task Before_the_first_measurement_the_health_waits_then_says_nothing_was_measured()
    {
        await using var monitor = Monitor(_ => throw new InvalidOperationException("no site (test)"));
        Assert.Equal(("replication lag not measured yet", null), (monitor.Read("z2")!.Description, monitor.Read("z2")!.Problem));

        await monitor.RunRoundAsync(Ct); // a round that fails is kept as a failure, never thrown
        _time.Advance(monitor.StaleAfter);
        Assert.Null(monitor.Read("z2")!.Problem);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(
            "site z2: replication lag not measured in the 36 s since the monitor started; the last probe could not be written (InvalidOperationException)",
            monitor.Read("z2")!.Problem);
        Assert.Equal(1, monitor.Rounds);
    }

    [Fact]
    public async Task The_gauge_observes_the_last_known_lag_of_each_replica()
    {
        await using var monitor = Monitor();
        await RoundAsync(monitor, Seen(300), NotSeen(), waited: Timeout);
        _time.Advance(TimeSpan.FromSeconds(2));

        var observed = monitor.Observe().ToDictionary(m => (string)m.Tags[0].Value!, m => m.Value);

        Assert.Equal(new Dictionary<string, double> { ["z2"] = 0.3, ["z3"] = 12 }, observed); // z3: 12 s since its probe was written
        Assert.All(monitor.Observe(), m => Assert.Equal(["hds.site"], m.Tags.ToArray().Select(t => t.Key)));
    }

    [Fact]
    public async Task The_loop_probes_at_once_then_every_interval_on_the_time_provider()
    {
        var calls = 0;
        await using var monitor = Monitor(_ =>
        {
            Interlocked.Increment(ref calls);
            return Task.FromResult(new LagRound("z1", _time.GetUtcNow(), new Dictionary<string, ProbeSighting> { ["z2"] = Seen(100), ["z3"] = Seen(100) }, null));
        });

        monitor.Start();
        await WaitUntilAsync(() => monitor.Rounds == 1);
        Assert.Equal(1, Volatile.Read(ref calls)); // nothing more until the clock moves
        _time.Advance(Interval);
        await WaitUntilAsync(() => monitor.Rounds == 2);
        _time.Advance(Interval);
        await WaitUntilAsync(() => monitor.Rounds == 3);
    }

    [Fact]
    public async Task Disposal_stops_a_round_in_flight_at_once()
    {
        var cancelled = new TaskCompletionSource();
        var monitor = Monitor(async ct =>
        {
            await using (ct.Register(() => cancelled.TrySetResult()))
            {
                await Task.Delay(System.Threading.Timeout.InfiniteTimeSpan, ct);
            }

            throw new UnreachableException();
        });
        monitor.Start();
        await Task.Delay(50, Ct);

        var stopwatch = Stopwatch.StartNew();
        await monitor.DisposeAsync();

        Assert.True(cancelled.Task.IsCompleted);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(1), $"disposal took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Disposal_does_not_wait_for_a_call_that_ignores_its_cancellation()
    {
        var hung = new TaskCompletionSource<LagRound>();
        var monitor = Monitor(_ => hung.Task);
        monitor.Start();
        await Task.Delay(50, Ct);

        var stopwatch = Stopwatch.StartNew();
        await monitor.DisposeAsync();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"disposal took {stopwatch.Elapsed}");
        hung.SetResult(new LagRound(null, _time.GetUtcNow(), new Dictionary<string, ProbeSighting>(), "late")); // ends quietly
    }

    [Fact]
    public async Task The_router_owns_a_monitor_when_asked_and_a_round_on_sites_that_refuse_connections_says_why_no_site_took_the_probe()
    {
        var s3 = new HdsS3StorageOptions { Bucket = "bucket", AccessKey = "test", SecretKey = "test", HealthProbeInterval = TimeSpan.Zero, AsynchronousReplication = true };
        s3.Sites.Add(new HdsSiteOptions { Name = "a", ServiceUrl = DeadUrl(), Priority = 0 });
        s3.Sites.Add(new HdsSiteOptions { Name = "b", ServiceUrl = DeadUrl(), Priority = 1 });
        s3.Sites.Add(new HdsSiteOptions { Name = "backup", ServiceUrl = DeadUrl(), Priority = 2, ReadOnly = true });
        await using (var off = new SiteRouter(s3, TimeProvider.System, NullLogger.Instance))
        {
            Assert.Null(off.LagMonitor);
        }

        s3.ReplicationLagProbeInterval = TimeSpan.FromMinutes(1);
        var router = new SiteRouter(s3, TimeProvider.System, NullLogger.Instance);
        Assert.NotNull(router.LagMonitor);

        var round = await ReplicationLagMonitor.ProbeAsync(router, TimeSpan.FromSeconds(5), Ct);

        Assert.Null(round.Writer);
        Assert.Matches("^a: .+; b: .+$", round.Failure); // every writable site tried, in order; never the read-only one
        var stopwatch = Stopwatch.StartNew();
        await router.DisposeAsync();
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"disposal took {stopwatch.Elapsed}");
    }

    // A loopback port nothing listens on: connections are refused at once.
    private static Uri DeadUrl()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), "the monitor's loop did not get there");
            await Task.Delay(10, Ct);
        }
    }
}
