using System.Collections.Concurrent;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Backends.S3;
using Hds.Storage.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// Routes every S3 call of the S3 backend to a site: the best one first (circuit closed, not suspect, writable before read-only,
/// lowest priority value; read-only sites never get writes), then the others; a call that fails with a transient failure (connection error, timeout, 5xx) moves to
/// the next site, and the round repeats with short pauses until <see cref="HdsS3StorageOptions.FailoverTimeout"/> has passed, when
/// the operation fails with <see cref="HdsBackendUnavailableException"/>. Routing is per call, not per operation: the parts of one
/// multipart upload continue on another site's gateway when one dies (gateways of one grid share uploads).
/// Each site has a Polly circuit breaker; a background probe marks sites suspect or healthy and closes the circuit of a site that
/// answers again, so traffic returns to the preferred site.
/// </summary>
internal sealed class SiteRouter : IAsyncDisposable
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    private readonly HdsS3StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(SiteEndpoint? Site, Func<SiteEndpoint, CancellationToken, Task> Abort)> _pendingAborts = new();
    private readonly Task _probeLoop;
    private Task _abortRetry = Task.CompletedTask;
    private int _abortRetryRunning;
    private long _abortRetryStarted;

    /// <summary>The clock of the router's deadlines and pauses.</summary>
    public TimeProvider Time => _time;

    public SiteRouter(HdsS3StorageOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _options = options;
        _time = timeProvider;
        _logger = logger;
        var ordered = options.OrderedSites();
        Sites = ordered.Select((site, rank) => CreateSite(site, rank, ordered.Count > 1)).ToList();
        SiteMetrics.Register(this);
        _probeLoop = Sites.Count > 1 && options.HealthProbeInterval > TimeSpan.Zero ? Task.Run(ProbeLoopAsync) : Task.CompletedTask;
        LagMonitor = ReplicationLagMonitor.StartFor(this, options, logger);
    }

    /// <summary>The background replication-lag measurement, when <see cref="HdsS3StorageOptions.ReplicationLagProbeInterval"/> asks for it.</summary>
    public ReplicationLagMonitor? LagMonitor { get; }

    /// <summary>The sites in preference order.</summary>
    public IReadOnlyList<SiteEndpoint> Sites { get; }

    public string Bucket => _options.Bucket;

    /// <summary>Multipart uploads whose abort is still to be done (no writable site answered when the upload failed).</summary>
    public int PendingAborts => _pendingAborts.Count;

    /// <summary>
    /// Runs <paramref name="call"/> on the best site, moving to the next on transient failures, for at most the failover timeout.
    /// Other failures (4xx, the caller's cancellation) propagate at once. The call may run several times, on several sites:
    /// it must be repeatable (a write whose answer was lost must check whether it was stored before writing again).
    /// </summary>
    public Task<T> ExecuteAsync<T>(SiteAccess access, Func<SiteEndpoint, CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        ExecuteAsync(access, call, _options.FailoverTimeout, cancellationToken);

    /// <summary>As <see cref="ExecuteAsync{T}(SiteAccess, Func{SiteEndpoint, CancellationToken, Task{T}}, CancellationToken)"/>, within <paramref name="timeout"/>.</summary>
    public Task<T> ExecuteAsync<T>(SiteAccess access, Func<SiteEndpoint, CancellationToken, Task<T>> call, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExecuteCoreAsync(access, null, call, timeout, cancellationToken);

    /// <summary>
    /// Runs <paramref name="call"/> on <paramref name="site"/> only, retried there on transient failures (with the same pauses and
    /// metrics, not through its circuit breaker) until <paramref name="timeout"/>: for calls that only that site can serve, the calls
    /// of a multipart upload begun on a site that does not share its uploads with the others.
    /// </summary>
    public Task<T> ExecuteOnAsync<T>(SiteEndpoint site, Func<SiteEndpoint, CancellationToken, Task<T>> call, TimeSpan timeout, CancellationToken cancellationToken) =>
        ExecuteCoreAsync(SiteAccess.Write, site, call, timeout, cancellationToken);

    private async Task<T> ExecuteCoreAsync<T>(
        SiteAccess access, SiteEndpoint? only, Func<SiteEndpoint, CancellationToken, Task<T>> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var pause = FirstPause;
        var attempts = 0;
        Exception? last = null;
        HashSet<SiteEndpoint>? warned = null;
        while (true)
        {
            foreach (var site in only is null ? Candidates(access) : [only])
            {
                var remaining = timeout - _time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                attempts++;
                using var deadline = new CancellationTokenSource(remaining, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                var callStarted = _time.GetTimestamp();
                try
                {
                    // A pinned call skips the circuit breaker: the breaker sends traffic to the other sites, and there is none for
                    // it; an open circuit would make it wait out the break even after the site is back.
                    var result = await (only is null ? site.Pipeline : ResiliencePipeline.Empty).ExecuteAsync(
                        static async (state, ct) => await state.call(state.site, ct).ConfigureAwait(false), (call, site), linked.Token).ConfigureAwait(false);
                    SiteMetrics.RecordDuration(site, _time.GetElapsedTime(callStarted), success: true);
                    site.CountRequest(access);
                    site.MarkHealthy();
                    RetryPendingAbortsSoon();
                    return result;
                }
                catch (BrokenCircuitException)
                {
                    // Open, or half-open with its one trial call already taken: skip the site for this round.
                }
                catch (Exception ex) when (TransientFailures.IsTransient(ex, cancellationToken))
                {
                    SiteMetrics.RecordDuration(site, _time.GetElapsedTime(callStarted), success: false);
                    SiteMetrics.RecordFailover(site, access);
                    site.MarkSuspect();
                    var failure = Describe(ex);
                    if ((warned ??= []).Add(site))
                    {
                        SiteLog.SiteCallFailed(_logger, site.Name, access, failure, Sites.Count > 1 && only is null ? "the other sites" : "it again");
                    }
                    else
                    {
                        SiteLog.SiteCallFailedAgain(_logger, site.Name, access, failure);
                    }
                    last = ex;
                }
            }

            var left = timeout - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                SiteMetrics.Unavailable.Add(1);
                SiteLog.AllSitesUnavailable(_logger, access, timeout, attempts);
                throw new HdsBackendUnavailableException(
                    only is null
                        ? $"No storage site served the request within {timeout.TotalSeconds:0.#} s ({attempts} attempts on {Sites.Count} site(s)); nothing partial was left. "
                            + "Check the sites' health and retry later."
                        : $"Site {only.Name}, where this multipart upload was begun (sites kept in step by replication do not share uploads), did not answer within "
                            + $"{timeout.TotalSeconds:0.#} s ({attempts} attempts); nothing was stored. Retry: a new upload goes to a site that answers.",
                    last);
            }

            await Task.Delay(pause < left ? pause : left, _time, cancellationToken).ConfigureAwait(false);
            pause = pause * 2 < MaxPause ? pause * 2 : MaxPause;
        }
    }

    /// <summary>
    /// Keeps the abort of an upload (or the sweep of uploads a lost initiation may have created) to run later, when a writable site
    /// answers again: the probe loop, calls that succeed and disposal retry it. On <paramref name="site"/> only when given (an upload
    /// on a site that does not share its uploads), else on any writable site that serves. A 404 means it is already gone.
    /// </summary>
    public void DeferAbort(SiteEndpoint? site, Func<SiteEndpoint, CancellationToken, Task> abort) => _pendingAborts.Enqueue((site, abort));

    /// <summary>Probes one site now: any answer from the gateway, even 403 or 404, means it serves.</summary>
    public async Task<bool> ProbeAsync(SiteEndpoint site, CancellationToken cancellationToken)
    {
        var probeTimeout = _options.RequestTimeout < TimeSpan.FromSeconds(5) ? _options.RequestTimeout : TimeSpan.FromSeconds(5);
        using var deadline = new CancellationTokenSource(probeTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var started = _time.GetTimestamp();
        string? failure = null;
        try
        {
            await site.Client.GetBucketLocationAsync(new GetBucketLocationRequest { BucketName = Bucket }, linked.Token).ConfigureAwait(false);
        }
        catch (AmazonServiceException ex) when ((int)ex.StatusCode is > 0 and < 500)
        {
            // The gateway answered: it serves (the answer itself is for the bucket checks to judge).
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false; // stopping: the outcome says nothing about the site
            }

            failure = Describe(ex);
        }

        if (failure is null)
        {
            site.LastProbeLatency = _time.GetElapsedTime(started);
            site.LastProbeError = null;
            var wasSuspect = site.MarkHealthy();
            if (site.State.CircuitState is CircuitState.Open or CircuitState.HalfOpen)
            {
                await site.Control.CloseAsync(CancellationToken.None).ConfigureAwait(false);
                wasSuspect = true;
            }

            if (wasSuspect)
            {
                Log.SiteRecovered(_logger, site.Name);
            }

            return true;
        }

        site.LastProbeLatency = null;
        site.LastProbeError = failure;
        if (site.MarkSuspect())
        {
            Log.SiteProbeFailed(_logger, site.Name, failure);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (LagMonitor is { } monitor)
        {
            await monitor.DisposeAsync().ConfigureAwait(false);
        }

        await _probeLoop.ConfigureAwait(false);
        await _abortRetry.ConfigureAwait(false);
        if (!_pendingAborts.IsEmpty)
        {
            using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            await RetryPendingAbortsAsync(budget.Token).ConfigureAwait(false);
        }

        SiteMetrics.Unregister(this);
        foreach (var site in Sites)
        {
            site.Dispose();
        }

        _stop.Dispose();
    }

    internal static string Describe(Exception ex) => ex switch
    {
        AmazonServiceException s when (int)s.StatusCode > 0 => $"{(int)s.StatusCode} {s.ErrorCode}".Trim(),
        _ when ex.InnerException is { } inner => $"{ex.GetType().Name}: {Describe(inner)}",
        _ => ex.GetType().Name,
    };

    // Healthy sites first; among them writable sites before read-only ones, so that a read following a write (the retention check
    // after a put) sees it even when the backup site is a lagging replica; then by priority.
    internal List<SiteEndpoint> Candidates(SiteAccess access) =>
        Sites.Where(s => access == SiteAccess.Read || !s.ReadOnly)
            .OrderBy(s => s.Suspect || s.State.CircuitState != CircuitState.Closed ? 1 : 0)
            .ThenBy(s => s.ReadOnly ? 1 : 0)
            .ThenBy(s => s.Rank)
            .ToList();

    private SiteEndpoint CreateSite(HdsSiteOptions site, int rank, bool breaker)
    {
        // Failover is the retry: the AWS SDK does not retry on its own, so a dead site costs one attempt, not three.
        var client = S3ClientFactory.Create(_options, site.ServiceUrl!, maxErrorRetry: 0, refuseSdkRetries: true);
        var state = new CircuitBreakerStateProvider();
        var control = new CircuitBreakerManualControl();
        if (!breaker)
        {
            // One site: nowhere else to go, a breaker would only refuse calls that might succeed.
            return new SiteEndpoint(site, rank, client, ResiliencePipeline.Empty, state, control);
        }

        var pipeline = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 0.5,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromSeconds(30),
                BreakDuration = _options.CircuitBreakDuration,
                StateProvider = state,
                ManualControl = control,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && TransientFailures.IsTransient(ex, CancellationToken.None)),
                OnOpened = args =>
                {
                    Log.CircuitOpened(_logger, site.Name, args.BreakDuration);
                    return default;
                },
                OnClosed = _ =>
                {
                    Log.CircuitClosed(_logger, site.Name);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    Log.CircuitHalfOpened(_logger, site.Name);
                    return default;
                },
            })
            .Build();
        return new SiteEndpoint(site, rank, client, pipeline, state, control);
    }

    private async Task ProbeLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.HealthProbeInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                foreach (var site in Sites)
                {
                    await ProbeAsync(site, _stop.Token).ConfigureAwait(false);
                }

                await RetryPendingAbortsAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            // disposed while a probe or an abort was in flight
        }
    }

    // A call succeeded: the kept aborts are tried again now, in the background, not only by the health probe (which a single site
    // or HealthProbeInterval zero does not run), so an upload left open on a site that comes back is aborted while traffic goes on.
    // One retry at a time, at most one a second.
    private void RetryPendingAbortsSoon()
    {
        if (_pendingAborts.IsEmpty || _stop.IsCancellationRequested
            || _time.GetElapsedTime(Interlocked.Read(ref _abortRetryStarted)) < TimeSpan.FromSeconds(1)
            || Interlocked.CompareExchange(ref _abortRetryRunning, 1, 0) != 0)
        {
            return;
        }

        Interlocked.Exchange(ref _abortRetryStarted, _time.GetTimestamp());

        _abortRetry = Task.Run(async () =>
        {
            try
            {
                await RetryPendingAbortsAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // disposed while an abort was in flight: disposal retries what is left
            }
            finally
            {
                Volatile.Write(ref _abortRetryRunning, 0);
            }
        });
    }

    private async Task RetryPendingAbortsAsync(CancellationToken cancellationToken)
    {
        for (var n = _pendingAborts.Count; n > 0 && _pendingAborts.TryDequeue(out var pending); n--)
        {
            // An upload pinned to its site is asked there, suspect or not (no other site has it; the probe may not run, and a
            // suspect site gets no other traffic to clear it); any other upload on a writable site that serves.
            var site = pending.Site ?? Sites.FirstOrDefault(s => !s.ReadOnly && !s.Suspect);
            if (site is null)
            {
                _pendingAborts.Enqueue(pending); // every writable site is still down: next round
                continue;
            }

            try
            {
                using var deadline = new CancellationTokenSource(_options.RequestTimeout < TimeSpan.FromSeconds(5) ? _options.RequestTimeout : TimeSpan.FromSeconds(5), _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                await pending.Abort(site, linked.Token).ConfigureAwait(false);
            }
            catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // Already gone (aborted or completed elsewhere).
            }
            catch (AmazonS3Exception ex) when ((int)ex.StatusCode is >= 400 and < 500)
            {
                // Refused (e.g. 403): asking again would be refused again; logged, and left to the bucket's lifecycle rule.
                Log.MultipartAborted(_logger, ex);
            }
            catch (Exception ex) when (TransientFailures.IsTransient(ex, CancellationToken.None))
            {
                _pendingAborts.Enqueue(pending);
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
            {
                // Anything else would fail again: logged, not retried, and never allowed to end the probe loop or fault disposal.
                Log.MultipartAborted(_logger, ex);
            }
        }
    }
}
