using System.Net;
using System.Net.Sockets;
using Amazon.S3;
using Hds.Storage.Backends.S3;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace Hds.Storage.Tests.Sites;

/// <summary>The router's decisions, with calls that fail or succeed on demand (no server: the clients are never used to connect).</summary>
public sealed class SiteRouterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static SiteRouter Router(TimeSpan? failoverTimeout = null, params HdsSiteOptions[] sites) => Router(TimeProvider.System, failoverTimeout, sites);

    private static SiteRouter Router(TimeProvider time, TimeSpan? failoverTimeout, params HdsSiteOptions[] sites)
    {
        var s3 = new HdsS3StorageOptions { Bucket = "bucket", FailoverTimeout = failoverTimeout ?? TimeSpan.FromSeconds(5), HealthProbeInterval = TimeSpan.Zero, CircuitBreakDuration = TimeSpan.FromSeconds(30) };
        foreach (var site in sites)
        {
            s3.Sites.Add(site);
        }

        return new SiteRouter(s3, time, NullLogger.Instance);
    }

    private static HdsSiteOptions Site(string name, int priority, bool readOnly = false) =>
        new() { Name = name, ServiceUrl = new Uri("http://127.0.0.1:" + (1000 + priority)), Priority = priority, ReadOnly = readOnly };

    private static Task<string> Fail(SiteEndpoint site) => throw new HttpRequestException("connection refused (test)", new SocketException((int)SocketError.ConnectionRefused));

    [Fact]
    public async Task A_connection_failure_moves_the_call_to_the_next_site_by_priority()
    {
        await using var router = Router(null, Site("backup", 9, readOnly: true), Site("second", 2), Site("first", 1));
        var tried = new List<string>();

        var served = await router.ExecuteAsync(SiteAccess.Read, (site, _) =>
        {
            tried.Add(site.Name);
            return site.Name == "first" ? Fail(site) : Task.FromResult(site.Name);
        }, Ct);

        Assert.Equal("second", served);
        Assert.Equal(["first", "second"], tried);
        Assert.True(router.Sites.Single(s => s.Name == "first").Suspect);
    }

    [Fact]
    public async Task Writes_never_go_to_a_read_only_site()
    {
        await using var router = Router(TimeSpan.FromSeconds(1), Site("backup", 0, readOnly: true), Site("primary", 1));
        var tried = new List<string>();

        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => router.ExecuteAsync(SiteAccess.Write, (site, _) =>
        {
            tried.Add(site.Name);
            return Fail(site);
        }, Ct));

        Assert.NotEmpty(tried);
        Assert.DoesNotContain("backup", tried);
    }

    [Fact]
    public async Task A_4xx_answer_is_not_retried_elsewhere()
    {
        await using var router = Router(null, Site("a", 0), Site("b", 1));
        var calls = 0;

        await Assert.ThrowsAsync<AmazonS3Exception>(() => router.ExecuteAsync<string>(SiteAccess.Read, (_, _) =>
        {
            calls++;
            throw new AmazonS3Exception("no such key (test)") { StatusCode = HttpStatusCode.NotFound, ErrorCode = "NoSuchKey" };
        }, Ct));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task A_write_whose_outcome_is_unknown_is_not_retried_elsewhere()
    {
        await using var router = Router(null, Site("a", 0), Site("b", 1), Site("c", 2));
        var calls = 0;

        var ex = await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => router.ExecuteAsync<string>(SiteAccess.Write, (_, _) =>
        {
            calls++;
            throw new HdsBackendUnavailableException("answer lost on a site that cannot be asked (test)", new WriteOutcomeUnknownException());
        }, Ct));

        Assert.Equal(1, calls);
        Assert.IsType<WriteOutcomeUnknownException>(ex.InnerException);
    }

    [Fact]
    public void Only_a_connection_never_made_counts_as_never_delivered()
    {
        Assert.True(TransientFailures.NeverDelivered(
            new Amazon.Runtime.AmazonClientException("wrapped (test)", new HttpRequestException(HttpRequestError.ConnectionError, "refused (test)"))));
        Assert.False(TransientFailures.NeverDelivered(new HttpRequestException(HttpRequestError.ResponseEnded, "reset mid-answer (test)")));
        Assert.False(TransientFailures.NeverDelivered(new TaskCanceledException("timed out (test)")));
    }

    [Fact]
    public async Task A_5xx_answer_fails_over()
    {
        await using var router = Router(null, Site("a", 0), Site("b", 1));

        var served = await router.ExecuteAsync(SiteAccess.Write, (site, _) => site.Name == "a"
            ? throw new AmazonS3Exception("slow down (test)") { StatusCode = HttpStatusCode.ServiceUnavailable, ErrorCode = "SlowDown" }
            : Task.FromResult(site.Name), Ct);

        Assert.Equal("b", served);
    }

    [Fact]
    public async Task When_every_site_fails_the_call_gives_up_after_the_failover_timeout()
    {
        // On a fake clock (issue 15): the pauses and the deadline are the router's, measured exactly, whatever the machine's load.
        var time = new FakeTimeProvider();
        var timeout = TimeSpan.FromMilliseconds(800);
        var step = TimeSpan.FromMilliseconds(10);
        await using var router = Router(time, timeout, Site("a", 0), Site("b", 1));
        var start = time.GetTimestamp();
        var attempts = new List<TimeSpan>();

        var call = router.ExecuteAsync(SiteAccess.Read, (site, _) =>
        {
            attempts.Add(time.GetElapsedTime(start));
            return Fail(site);
        }, Ct);
        for (var i = 0; i < 10_000 && !call.IsCompleted; i++)
        {
            time.Advance(step);
            // Let the router's continuations run (on the thread pool) before the clock moves on: a bare Task.Yield let the loop
            // outrun a loaded machine's pool and push the fake clock seconds past the deadline before the router looked.
            await Task.WhenAny(call, Task.Delay(TimeSpan.FromMilliseconds(5), TimeProvider.System, Ct));
        }

        var ex = await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => call);
        Assert.IsType<HttpRequestException>(ex.InnerException);
        // Not before the timeout, and at the first look after it (a pause never runs past the deadline).
        Assert.InRange(time.GetElapsedTime(start), timeout, timeout + TimeSpan.FromMilliseconds(200));
        // Both sites tried at once, then again after growing pauses, every attempt within the timeout.
        Assert.True(attempts.Count >= 4, $"{attempts.Count} attempts");
        Assert.Equal(TimeSpan.Zero, attempts[0]);
        Assert.All(attempts, at => Assert.True(at < timeout, $"an attempt at {at}"));
    }

    [Fact]
    public async Task Repeated_failures_open_the_site_circuit_and_its_calls_are_skipped()
    {
        await using var router = Router(TimeSpan.FromSeconds(5), Site("a", 0), Site("b", 1));
        var a = router.Sites[0];
        for (var i = 0; i < 4; i++)
        {
            // Prefer a each time: the call fails on a and is served by b.
            a.MarkHealthy();
            await router.ExecuteAsync(SiteAccess.Read, (site, _) => site.Name == "a" ? Fail(site) : Task.FromResult(site.Name), Ct);
        }

        Assert.Equal(CircuitState.Open, a.State.CircuitState);
        var tried = new List<string>();
        a.MarkHealthy();
        await router.ExecuteAsync(SiteAccess.Read, (site, _) =>
        {
            tried.Add(site.Name);
            return Task.FromResult(site.Name);
        }, Ct);
        Assert.Equal(["b"], tried);
    }

    [Fact]
    public async Task The_caller_cancelling_is_not_a_site_failure()
    {
        await using var router = Router(null, Site("a", 0), Site("b", 1));
        using var cts = new CancellationTokenSource();
        var tried = new List<string>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => router.ExecuteAsync<string>(SiteAccess.Read, (site, ct) =>
        {
            tried.Add(site.Name);
            cts.Cancel();
            throw new OperationCanceledException(cts.Token);
        }, cts.Token));

        Assert.Equal(["a"], tried);
        Assert.False(router.Sites[0].Suspect);
    }
}
