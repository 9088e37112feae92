using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.AspNetCore;

/// <summary>
/// samples/AspNetCoreApi started as a real process on a loopback port, attacked over HTTP as a user of the application would:
/// every request header is the attacker's. The purpose header can only choose among the identity's purposes, sensitive
/// operations need the identity's role, and malformed values get 400/403 problem details, never a 500.
/// </summary>
public sealed class SampleApiTests(SampleApiProcess sample) : IClassFixture<SampleApiProcess>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_agent_cannot_read_the_audit_trail_even_declaring_the_audit_purpose()
    {
        using var plain = await sample.SendAsync(HttpMethod.Get, "/audit/tail", "agent-4711");
        using var declared = await sample.SendAsync(HttpMethod.Get, "/audit/tail", "agent-4711", ("x-hds-purpose", "audit"));
        using var auditor = await sample.SendAsync(HttpMethod.Get, "/audit/tail", "auditor-1");

        await AssertProblemAsync(HttpStatusCode.Forbidden, plain, "purpose-not-allowed");
        await AssertProblemAsync(HttpStatusCode.Forbidden, declared, "purpose-not-granted");
        Assert.Equal(HttpStatusCode.OK, auditor.StatusCode);
        var records = (await auditor.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(records, r => r.GetProperty("operation").GetString() == "ReadAudit" && r.GetProperty("outcome").GetString() == "Denied"
            && r.GetProperty("actorId").GetString() == "agent-4711");
        using var again = await sample.SendAsync(HttpMethod.Get, "/audit/tail", "auditor-1");
        Assert.Contains("""operation":"ReadAudit","outcome":"Succeeded","actorId":"auditor-1","actorKind":"user","role":"auditor""", await again.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_legal_role_sets_and_releases_a_legal_hold()
    {
        var id = "REQ-" + Guid.NewGuid().ToString("N")[..8];
        using (var stored = await sample.SendAsync(HttpMethod.Post, "/requests/" + id, "agent-4711", content: [1, 2, 3]))
        {
            Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        }

        using var hold = await sample.SendAsync(HttpMethod.Put, $"/requests/{id}/legal-hold/on", "legal-1", ("x-hds-purpose", "legal-hold"));
        using var releasePlain = await sample.SendAsync(HttpMethod.Put, $"/requests/{id}/legal-hold/off", "agent-4711");
        using var releaseDeclared = await sample.SendAsync(HttpMethod.Put, $"/requests/{id}/legal-hold/off", "agent-4711", ("x-hds-purpose", "legal-hold"));
        using var stillHeld = await sample.SendAsync(HttpMethod.Put, $"/requests/{id}/legal-hold/on", "legal-1");
        using var release = await sample.SendAsync(HttpMethod.Put, $"/requests/{id}/legal-hold/off", "legal-1");

        Assert.Equal(HttpStatusCode.OK, hold.StatusCode);
        await AssertProblemAsync(HttpStatusCode.Forbidden, releasePlain, "purpose-not-allowed");
        await AssertProblemAsync(HttpStatusCode.Forbidden, releaseDeclared, "purpose-not-granted");
        Assert.True(JsonDocument.Parse(await stillHeld.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("retention").GetProperty("legalHold").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        Assert.False(JsonDocument.Parse(await release.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("retention").GetProperty("legalHold").GetBoolean());
    }

    [Theory]
    [InlineData("x-hds-purpose", "PATIENT DUPONT", HttpStatusCode.BadRequest, "invalid-purpose-header")]
    [InlineData("x-hds-correlation-id", "DUPONT Jeanne 1960", HttpStatusCode.BadRequest, "invalid-correlation-header")]
    [InlineData("X-Demo-User", "PATIENT DUPONT", HttpStatusCode.Forbidden, "invalid-identity-claims")]
    [InlineData("x-hds-actor", "DUPONT", HttpStatusCode.Forbidden, "untrusted-caller")]
    public async Task A_malformed_or_forged_header_gets_a_problem_never_a_500_and_never_echoed(string header, string value, HttpStatusCode status, string reason)
    {
        var user = header == "X-Demo-User" ? value : "agent-4711";
        using var response = await sample.SendAsync(HttpMethod.Get, "/audit/tail", user, header == "X-Demo-User" ? default : (header, value));

        var body = await AssertProblemAsync(status, response, reason);
        Assert.DoesNotContain("DUPONT", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("DUPONT", sample.Output, StringComparison.OrdinalIgnoreCase); // nor logged
        Assert.DoesNotContain("   at ", sample.Output, StringComparison.Ordinal); // no stack trace in the server log
    }

    [Fact]
    public async Task Two_purpose_headers_are_refused_as_malformed()
    {
        using var response = await sample.SendAsync(HttpMethod.Get, "/audit/tail", "agent-4711", ("x-hds-purpose", "claim-processing"), ("x-hds-purpose", "audit"));

        await AssertProblemAsync(HttpStatusCode.BadRequest, response, "invalid-purpose-header");
    }

    [Fact]
    public async Task A_40_MB_upload_is_stored_and_read_back_and_one_over_the_body_limit_is_413_audited_as_content_unreadable()
    {
        // Over Kestrel's default 30 MB: the sample raises the limit (here --MaxUploadMegabytes 45, as the fixture starts it).
        var id = "REQ-" + Guid.NewGuid().ToString("N")[..8];
        var document = new byte[40 * 1024 * 1024];
        Random.Shared.NextBytes(document);
        using (var stored = await sample.SendAsync(HttpMethod.Post, "/requests/" + id, "agent-4711", document))
        {
            var body = await stored.Content.ReadAsStringAsync(Ct);
            Assert.True(stored.StatusCode == HttpStatusCode.OK, body);
            Assert.Equal(document.Length, JsonDocument.Parse(body).RootElement.GetProperty("size").GetInt64());
        }

        using (var read = await sample.SendAsync(HttpMethod.Get, "/requests/" + id, "agent-4711"))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(System.Security.Cryptography.SHA256.HashData(document), System.Security.Cryptography.SHA256.HashData(await read.Content.ReadAsByteArrayAsync(Ct)));
        }

        // Over the limit: the web server refuses the body; the answer is 413 and the trail says why, not "unexpected".
        using var tooLarge = await sample.SendAsync(HttpMethod.Post, "/requests/" + id + "-big", "agent-4711", new byte[46 * 1024 * 1024], expectContinue: true);
        var problem = await AssertProblemAsync(HttpStatusCode.RequestEntityTooLarge, tooLarge, "Nothing was stored.");
        Assert.Contains("Request body too large", problem, StringComparison.Ordinal);
        using var trail = await sample.SendAsync(HttpMethod.Get, "/audit/tail", "auditor-1");
        var records = await trail.Content.ReadAsStringAsync(Ct);
        Assert.Contains("content-unreadable", records, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected", records, StringComparison.Ordinal);
    }

    private static async Task<string> AssertProblemAsync(HttpStatusCode expected, HttpResponseMessage response, string reason)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(reason, body, StringComparison.Ordinal);
        return body;
    }
}

/// <summary>The sample, built with the tests, running as a child process on 127.0.0.1 (dynamic port) over a fresh embedded store.</summary>
public sealed class SampleApiProcess : IAsyncLifetime
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-sample-" + Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _output = new();
    private Process? _process;
    private HttpClient? _http;

    /// <summary>Everything the sample wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root, "samples", "AspNetCoreApi", "bin", configuration, "net10.0", "AspNetCoreApi.dll");
        Assert.True(File.Exists(dll), dll);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var arg in new[] { dll, "--urls", "http://127.0.0.1:0", "--Store", _store, "--MaxUploadMegabytes", "45" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the sample.");
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }

            const string Marker = "Now listening on: ";
            var at = line.IndexOf(Marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                listening.TrySetResult(new Uri(line[(at + Marker.Length)..].Trim()));
            }
        }

        _process.OutputDataReceived += (_, e) => Collect(e.Data);
        _process.ErrorDataReceived += (_, e) => Collect(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var url = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
        _http = new HttpClient { BaseAddress = url };
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? user, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        if (user is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Demo-User", user);
        }

        foreach (var (name, value) in headers.Where(h => h.Name is not null))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await _http!.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string user, byte[] content, bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(content) };
        request.Headers.TryAddWithoutValidation("X-Demo-User", user);
        request.Headers.ExpectContinue = expectContinue; // a refused body is then never sent
        return await _http!.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }
}
