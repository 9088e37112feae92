using System.Net;
using System.Runtime.CompilerServices;
using System.Net.Sockets;
using System.Text;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>
/// A fault-injecting TCP proxy on loopback in front of a gateway: passes traffic through, or resets new connections, stalls them
/// (accepts and never answers), or cuts a connection in the middle of a request or response body. Byte positions are counted over
/// all connections since the fault was armed, so a cut is deterministic whatever the client's connection reuse.
/// Bounded: at most <see cref="MaxConnections"/> connections, and it stops itself after its lifetime.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    public const int MaxConnections = 512;

    private static readonly byte[] Continue = Encoding.ASCII.GetBytes("HTTP/1.1 100");

    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop;
    private readonly Task _acceptLoop;
    private readonly List<Task> _handlers = [];
    private long _requestBytes;
    private long _responseBytes;
    private long _cutRequestAt = long.MaxValue;
    private long _cutResponseAt = long.MaxValue;
    private long _stallResponseAt = long.MaxValue;
    private int _cutNextResponse;
    private int _resetsLeft;
    private int _stallsLeft;
    private int _connections;
    private int _faults;
    private TimeSpan _stallDuration = TimeSpan.FromSeconds(10);
    private Func<string, bool>? _cutResponseOf;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _requestLines = new();
    private long _downUntil;
    private long _downAfterCut;
    private long _downAfterMatchedCut;

    public FaultProxy(int targetPort, TimeSpan? lifetime = null)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _stop = new CancellationTokenSource(lifetime ?? TimeSpan.FromMinutes(5));
        _acceptLoop = AcceptLoopAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Faults injected so far (resets, stalls, cuts).</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>Resets (TCP RST) the next <paramref name="count"/> connections or requests: new connections when accepted, open ones at their next request bytes.</summary>
    public void ResetNextConnections(int count) => Volatile.Write(ref _resetsLeft, count);

    /// <summary>The request lines ("GET /bucket?versions&amp;prefix=… HTTP/1.1") passed so far, oldest first.</summary>
    public IReadOnlyCollection<string> RequestLines => _requestLines;

    /// <summary>Holds the next <paramref name="count"/> connections or requests without answering (a hung gateway), then resets them.</summary>
    public void StallNextConnections(int count, TimeSpan duration)
    {
        _stallDuration = duration;
        Volatile.Write(ref _stallsLeft, count);
    }

    /// <summary>
    /// Cuts (RST both ways) the connection that carries the request byte <paramref name="bytesFromNow"/> from now; then, like a gateway
    /// that died mid-body, resets every connection and request for <paramref name="thenDown"/>.
    /// </summary>
    public void CutRequestAfter(long bytesFromNow, TimeSpan thenDown = default)
    {
        Volatile.Write(ref _downAfterCut, (long)thenDown.TotalMilliseconds);
        Volatile.Write(ref _cutRequestAt, Interlocked.Read(ref _requestBytes) + bytesFromNow);
    }

    private bool IsDown => Environment.TickCount64 < Volatile.Read(ref _downUntil);

    /// <summary>
    /// Cuts the connection that carries the response byte <paramref name="bytesFromNow"/> from now; then, like a gateway that died
    /// mid-response, resets every connection and request for <paramref name="thenDown"/>.
    /// </summary>
    public void CutResponseAfter(long bytesFromNow, TimeSpan thenDown = default)
    {
        Volatile.Write(ref _downAfterCut, (long)thenDown.TotalMilliseconds);
        Volatile.Write(ref _cutResponseAt, Interlocked.Read(ref _responseBytes) + bytesFromNow);
    }

    /// <summary>
    /// Stops passing response bytes once the response byte <paramref name="bytesFromNow"/> from now is reached, keeping the connection
    /// open without a byte for <paramref name="duration"/> (a gateway hung mid-body), then resets it.
    /// </summary>
    public void StallResponseAfter(long bytesFromNow, TimeSpan duration)
    {
        _stallDuration = duration;
        Volatile.Write(ref _stallResponseAt, Interlocked.Read(ref _responseBytes) + bytesFromNow);
    }

    /// <summary>
    /// Cuts the next final (non-100) response before its first byte reaches the client: the server did the work, the client never
    /// hears of it (a write whose answer is lost).
    /// </summary>
    public void CutNextResponse() => Volatile.Write(ref _cutNextResponse, 1);

    /// <summary>
    /// Cuts the final response to the next request whose request line (for example "PUT /bucket/key HTTP/1.1") matches, before its
    /// first byte reaches the client: the server did the work, the client never hears of it.
    /// </summary>
    public void CutResponseOf(Func<string, bool> requestLine) => CutResponseOf(requestLine, TimeSpan.Zero);

    /// <summary>
    /// As <see cref="CutResponseOf(Func{string, bool})"/>; then, like a site that went down right after doing the work, resets every
    /// connection and request for <paramref name="thenDown"/>.
    /// </summary>
    public void CutResponseOf(Func<string, bool> requestLine, TimeSpan thenDown)
    {
        Volatile.Write(ref _downAfterMatchedCut, (long)thenDown.TotalMilliseconds);
        Volatile.Write(ref _cutResponseOf, requestLine);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] handlers;
        lock (_handlers)
        {
            handlers = [.. _handlers];
        }

        await Task.WhenAny(Task.WhenAll(handlers), Task.Delay(TimeSpan.FromSeconds(5)));
        _stop.Dispose();
    }

    private static bool TryTake(ref int counter)
    {
        while (true)
        {
            var current = Volatile.Read(ref counter);
            if (current <= 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref counter, current - 1, current) == current)
            {
                return true;
            }
        }
    }

    private static void Reset(TcpClient client)
    {
        try
        {
            client.LingerState = new LingerOption(true, 0);
            client.Client.Close();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // already gone
        }
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                if (Interlocked.Increment(ref _connections) > MaxConnections)
                {
                    Reset(client);
                    client.Dispose();
                    continue;
                }

                lock (_handlers)
                {
                    _handlers.RemoveAll(t => t.IsCompleted);
                    _handlers.Add(HandleAsync(client));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            if (IsDown || TryTake(ref _resetsLeft))
            {
                Interlocked.Increment(ref _faults);
                Reset(client);
                return;
            }

            if (TryTake(ref _stallsLeft))
            {
                Interlocked.Increment(ref _faults);
                try
                {
                    await Task.Delay(_stallDuration, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // stopping
                }

                Reset(client);
                return;
            }

            using var upstream = new TcpClient();
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                Reset(client); // the gateway behind is down: the client sees a broken connection
                return;
            }

            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var connection = new StrongBox<int>();
            await Task.WhenAll(
                PumpAsync(client, upstream, client, upstream, connection, request: true, cts),
                PumpAsync(upstream, client, client, upstream, connection, request: false, cts));
        }
    }

    // cutResponse.Value is 1 when this connection's next final response must be cut.
    private async Task PumpAsync(
        TcpClient from, TcpClient to, TcpClient client, TcpClient upstream, StrongBox<int> cutResponse, bool request, CancellationTokenSource cts)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.GetStream().ReadAsync(buffer, cts.Token);
                if (n == 0)
                {
                    to.Client.Shutdown(SocketShutdown.Send);
                    return;
                }

                var forward = n;
                var cut = false;
                if (request)
                {
                    if (IsDown || TryTake(ref _resetsLeft))
                    {
                        Interlocked.Increment(ref _faults);
                        Reset(client);
                        Reset(upstream);
                        await cts.CancelAsync();
                        return;
                    }

                    if (TryTake(ref _stallsLeft))
                    {
                        Interlocked.Increment(ref _faults);
                        await Task.Delay(_stallDuration, cts.Token);
                        Reset(client);
                        Reset(upstream);
                        await cts.CancelAsync();
                        return;
                    }

                    var head = Encoding.ASCII.GetString(buffer, 0, Math.Min(n, 1024));
                    var eol = head.IndexOf("\r\n", StringComparison.Ordinal);
                    var requestLine = eol > 0 && head[..eol].EndsWith(" HTTP/1.1", StringComparison.Ordinal) ? head[..eol] : null;
                    if (requestLine is not null)
                    {
                        _requestLines.Enqueue(requestLine);
                    }

                    if (Volatile.Read(ref _cutResponseOf) is { } match && requestLine is not null && match(requestLine)
                        && Interlocked.CompareExchange(ref _cutResponseOf, null, match) == match)
                    {
                        Volatile.Write(ref cutResponse.Value, 1);
                    }

                    var before = Interlocked.Add(ref _requestBytes, n) - n;
                    var at = Volatile.Read(ref _cutRequestAt);
                    if (before + n > at && Interlocked.CompareExchange(ref _cutRequestAt, long.MaxValue, at) == at)
                    {
                        forward = (int)Math.Max(0, at - before);
                        cut = true;
                        Volatile.Write(ref _downUntil, Environment.TickCount64 + Volatile.Read(ref _downAfterCut));
                    }
                }
                else
                {
                    var isContinue = buffer.AsSpan(0, n).StartsWith(Continue);
                    if (!isContinue && Interlocked.CompareExchange(ref cutResponse.Value, 0, 1) == 1)
                    {
                        forward = 0;
                        cut = true;
                        Volatile.Write(ref _downUntil, Environment.TickCount64 + Volatile.Read(ref _downAfterMatchedCut));
                    }
                    else if (!isContinue && Interlocked.CompareExchange(ref _cutNextResponse, 0, 1) == 1)
                    {
                        forward = 0;
                        cut = true;
                    }
                    else
                    {
                        var before = Interlocked.Add(ref _responseBytes, n) - n;
                        var stallAt = Volatile.Read(ref _stallResponseAt);
                        if (before + n > stallAt && Interlocked.CompareExchange(ref _stallResponseAt, long.MaxValue, stallAt) == stallAt)
                        {
                            Interlocked.Increment(ref _faults);
                            await to.GetStream().WriteAsync(buffer.AsMemory(0, (int)Math.Max(0, stallAt - before)), cts.Token);
                            await Task.Delay(_stallDuration, cts.Token);
                            Reset(client);
                            Reset(upstream);
                            await cts.CancelAsync();
                            return;
                        }

                        var at = Volatile.Read(ref _cutResponseAt);
                        if (before + n > at && Interlocked.CompareExchange(ref _cutResponseAt, long.MaxValue, at) == at)
                        {
                            forward = (int)Math.Max(0, at - before);
                            cut = true;
                            Volatile.Write(ref _downUntil, Environment.TickCount64 + Volatile.Read(ref _downAfterCut));
                        }
                    }
                }

                if (forward > 0)
                {
                    await to.GetStream().WriteAsync(buffer.AsMemory(0, forward), cts.Token);
                }

                if (cut)
                {
                    Interlocked.Increment(ref _faults);
                    Reset(client);
                    Reset(upstream);
                    await cts.CancelAsync();
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            await cts.CancelAsync();
        }
    }
}
