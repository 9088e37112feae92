using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Hds.Storage.IntegrationTests.Faults;

/// <summary>One request as the stub server read it.</summary>
internal sealed record StubRequest(string Method, string Key, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public bool IsObject => Key.Length > 0;

    public bool Has(string query) => Query.ContainsKey(query);
}

/// <summary>What the stub answers; <see cref="DeclaredLength"/> may differ from the body (a lie), <see cref="Hang"/> never answers.</summary>
internal sealed class StubResponse
{
    public int Status { get; set; } = 200;

    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    public byte[] Body { get; set; } = [];

    public long? DeclaredLength { get; set; }

    public bool Hang { get; set; }
}

/// <summary>
/// A loopback HTTP server speaking just enough S3 for the SDK's calls (bucket check, PutObject, HEAD, GET with ranges, retention,
/// legal hold, versioned delete), honest by default — an in-memory versioned, locked bucket — and scripted per test to lie:
/// a <see cref="Lie"/> hook may rewrite or replace any answer. One request per connection (Connection: close).
/// </summary>
internal sealed partial class LyingS3Server : IAsyncDisposable
{
    public const string Bucket = "lying-bucket";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly ConcurrentDictionary<string, List<StoredVersion>> _objects = new(StringComparer.Ordinal);
    private int _versions;

    public LyingS3Server()
    {
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public Uri Endpoint => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    /// <summary>Called with each request and the honest answer; returns the answer to send (the same, altered, or another).</summary>
    public Func<StubRequest, StubResponse, StubResponse>? Lie { get; set; }

    public ConcurrentQueue<StubRequest> Requests { get; } = new();

    /// <summary>The stored versions of a physical key, oldest first.</summary>
    public IReadOnlyList<StoredVersion> Versions(string key) => _objects.TryGetValue(key, out var list) ? list : [];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream);
                if (request is null)
                {
                    return;
                }

                Requests.Enqueue(request);
                var response = Honest(request);
                response = Lie?.Invoke(request, response) ?? response;
                if (response.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                    return;
                }

                await WriteResponseAsync(stream, request, response);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client gave up (timeout) or the test ended.
            }
        }
    }

    private async Task<StubRequest?> ReadRequestAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 64 * 1024)
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }

            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
            {
                break;
            }
        }

        var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var parts = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        if (headers.TryGetValue("Expect", out var expect) && expect.Contains("100", StringComparison.Ordinal))
        {
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), _stop.Token);
        }

        var length = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
        var body = new byte[length];
        await stream.ReadExactlyAsync(body, _stop.Token);
        if (headers.TryGetValue("x-amz-content-sha256", out var sha) && sha.StartsWith("STREAMING-", StringComparison.Ordinal))
        {
            body = DecodeAwsChunked(body); // SigV4 streaming signatures over plain HTTP: "<hex size>;chunk-signature=...\r\n<data>\r\n"
        }

        var target = parts[1];
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(question < 0 ? target : target[..question]);
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (question >= 0)
        {
            foreach (var pair in target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                query[Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq])] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }

        var prefix = "/" + Bucket;
        var key = path.StartsWith(prefix + "/", StringComparison.Ordinal) ? path[(prefix.Length + 1)..] : string.Empty;
        return new StubRequest(parts[0], key, query, headers, body);
    }

    private static byte[] DecodeAwsChunked(byte[] encoded)
    {
        var output = new MemoryStream();
        var pos = 0;
        while (pos < encoded.Length)
        {
            var lineEnd = Array.IndexOf(encoded, (byte)'\n', pos);
            var header = Encoding.ASCII.GetString(encoded, pos, lineEnd - pos).TrimEnd('\r');
            var size = Convert.ToInt32(header.Split(';')[0], 16);
            pos = lineEnd + 1;
            if (size == 0)
            {
                break;
            }

            output.Write(encoded, pos, size);
            pos += size + 2;
        }

        return output.ToArray();
    }

    private async Task WriteResponseAsync(NetworkStream stream, StubRequest request, StubResponse response)
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} {(response.Status < 300 ? "OK" : "Error")}\r\n");
        var declared = response.DeclaredLength ?? response.Body.Length;
        builder.Append(CultureInfo.InvariantCulture, $"Content-Length: {declared}\r\n");
        builder.Append("Connection: close\r\n");
        builder.Append(CultureInfo.InvariantCulture, $"x-amz-request-id: stub-{Requests.Count}\r\n");
        builder.Append(CultureInfo.InvariantCulture, $"Date: {DateTime.UtcNow.ToString("r", CultureInfo.InvariantCulture)}\r\n");
        foreach (var (name, value) in response.Headers)
        {
            builder.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        builder.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(builder.ToString()), _stop.Token);
        if (request.Method != "HEAD")
        {
            await stream.WriteAsync(response.Body, _stop.Token);
        }

        await stream.FlushAsync(_stop.Token);
    }

    // An honest, versioned, object-lock bucket.
    private StubResponse Honest(StubRequest r)
    {
        if (!r.IsObject)
        {
            if (r.Has("versioning"))
            {
                return Xml("<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></VersioningConfiguration>");
            }

            if (r.Has("object-lock"))
            {
                return Xml("<ObjectLockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>");
            }

            return Error(400, "NotImplemented");
        }

        var versions = _objects.GetOrAdd(r.Key, _ => []);
        lock (versions)
        {
            var versionId = r.Query.GetValueOrDefault("versionId");
            var version = versionId is null ? versions.LastOrDefault() : versions.FirstOrDefault(v => v.VersionId == versionId);
            switch (r.Method)
            {
                case "PUT" when r.Has("retention"):
                    if (version is null)
                    {
                        return Error(404, "NoSuchKey");
                    }

                    version.Mode = Regex.Match(Encoding.UTF8.GetString(r.Body), "<Mode>(.*?)</Mode>").Groups[1].Value;
                    version.RetainUntil = DateTimeOffset.Parse(Regex.Match(Encoding.UTF8.GetString(r.Body), "<RetainUntilDate>(.*?)</RetainUntilDate>").Groups[1].Value, CultureInfo.InvariantCulture);
                    return new StubResponse();
                case "PUT" when r.Has("legal-hold"):
                    if (version is null)
                    {
                        return Error(404, "NoSuchKey");
                    }

                    version.LegalHold = Encoding.UTF8.GetString(r.Body).Contains("<Status>ON</Status>", StringComparison.Ordinal);
                    return new StubResponse();
                case "PUT":
                    var stored = new StoredVersion(
                        "v" + Interlocked.Increment(ref _versions).ToString("D4", CultureInfo.InvariantCulture),
                        r.Body,
                        r.Headers.GetValueOrDefault("Content-Type") ?? "application/octet-stream",
                        r.Headers.Where(h => h.Key.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase)).ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value, StringComparer.Ordinal))
                    {
                        Mode = r.Headers.GetValueOrDefault("x-amz-object-lock-mode"),
                        RetainUntil = r.Headers.TryGetValue("x-amz-object-lock-retain-until-date", out var until) ? DateTimeOffset.Parse(until, CultureInfo.InvariantCulture) : null,
                    };
                    versions.Add(stored);
                    var put = new StubResponse();
                    put.Headers["ETag"] = stored.ETag;
                    put.Headers["x-amz-version-id"] = stored.VersionId;
                    return put;
                case "DELETE" when versionId is not null:
                    if (version is not null)
                    {
                        versions.Remove(version);
                    }

                    return new StubResponse { Status = 204 };
                case "GET" or "HEAD":
                    return version is null ? Error(404, "NoSuchKey") : Read(version, r.Headers.GetValueOrDefault("Range"));
                default:
                    return Error(400, "NotImplemented");
            }
        }
    }

    /// <summary>The honest answer to a GET or HEAD of a version, optionally ranged ("bytes=a-b").</summary>
    public static StubResponse Read(StoredVersion version, string? range)
    {
        var response = new StubResponse { Body = version.Body };
        if (range is not null)
        {
            var m = Regex.Match(range, @"bytes=(\d+)-(\d+)");
            var start = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var end = Math.Min(long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), version.Body.Length - 1);
            response.Status = 206;
            response.Body = version.Body[(int)start..(int)(end + 1)];
            response.Headers["Content-Range"] = $"bytes {start}-{end}/{version.Body.Length}";
        }

        response.Headers["Content-Type"] = version.ContentType;
        response.Headers["ETag"] = version.ETag;
        response.Headers["Last-Modified"] = version.Created.ToString("r", CultureInfo.InvariantCulture);
        response.Headers["x-amz-version-id"] = version.VersionId;
        if (version.Mode is { } mode && version.RetainUntil is { } until)
        {
            response.Headers["x-amz-object-lock-mode"] = mode;
            response.Headers["x-amz-object-lock-retain-until-date"] = until.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        }

        response.Headers["x-amz-object-lock-legal-hold"] = version.LegalHold ? "ON" : "OFF";
        foreach (var (name, value) in version.Metadata)
        {
            response.Headers[name] = value;
        }

        return response;
    }

    public static StubResponse Xml(string xml) => new() { Body = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + xml), Headers = { ["Content-Type"] = "application/xml" } };

    public static StubResponse Error(int status, string code) =>
        new() { Status = status, Body = Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>stub</Message></Error>"), Headers = { ["Content-Type"] = "application/xml" } };

    internal sealed class StoredVersion(string versionId, byte[] body, string contentType, Dictionary<string, string> metadata)
    {
        public string VersionId => versionId;

        public byte[] Body => body;

        public string ContentType => contentType;

        public Dictionary<string, string> Metadata => metadata;

        public string ETag { get; } = "\"" + Convert.ToHexStringLower(MD5.HashData(body)) + "\"";

        public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

        public string? Mode { get; set; }

        public DateTimeOffset? RetainUntil { get; set; }

        public bool LegalHold { get; set; }
    }
}
