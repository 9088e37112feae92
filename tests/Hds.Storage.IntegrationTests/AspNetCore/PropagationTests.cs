using System.Net;
using System.Security.Claims;
using System.Text.Json;
using Hds.Storage.Access;
using Hds.Storage.AspNetCore;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.AspNetCore;

/// <summary>
/// Two real ASP.NET Core services on Kestrel (127.0.0.1, dynamic ports): "front" builds the context from its authenticated user
/// and calls "documents" through the propagation handler; "documents" accepts it only from the trusted, signing caller and
/// stores a document under it, so the storage's audit record names the original user.
/// </summary>
public sealed class PropagationTests : IAsyncLifetime
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-prop-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _front;
    private WebApplication? _documents;
    private HdsStorageClient? _client;
    private Uri? _frontUrl;
    private Uri? _documentsUrl;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _client = new HdsStorageClient(new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _store } });

        var documents = WebApplication.CreateSlimBuilder();
        documents.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        documents.Logging.ClearProviders();
        documents.Services.AddHdsAccessContext(o => o.TrustedCallers["front"] = new HdsTrustedCaller { SigningKey = Key });
        documents.Services.AddSingleton(_client); // the service's storage client: refused propagated contexts go into its trail
        _documents = documents.Build();
        _documents.UseHdsAccessContext();
        _documents.MapPost("/documents/{id}", async (string id, HttpRequest request) =>
        {
            var receipt = await _client.PutAsync("docs/" + id, request.Body, cancellationToken: request.HttpContext.RequestAborted);
            var c = HdsAccessScope.Current!;
            return Results.Json(new Seen(c.ActorId, c.Tenant, c.Purpose, c.Role, c.CorrelationId, c.PatientPseudonym, receipt.Writer));
        });
        await _documents.StartAsync(Ct);
        _documentsUrl = Address(_documents);

        var front = WebApplication.CreateSlimBuilder();
        front.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        front.Logging.ClearProviders();
        front.Services.AddHdsAccessContext(o => o.Application = "front");
        front.Services.AddHttpClient("documents", c => c.BaseAddress = _documentsUrl)
            .AddHdsContextPropagation(o => { o.CallerId = "front"; o.SigningKey = Key; });
        _front = front.Build();

        // Stands in for real authentication (JWT, cookies): the test user's claims.
        _front.Use((http, next) =>
        {
            http.User = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim("sub", "agent-4711"), new Claim("hds_tenant", "msa"), new Claim("hds_purpose", "claim-processing"), new Claim("role", "agent")], "test"));
            return next(http);
        });
        _front.UseHdsAccessContext();
        _front.MapPost("/submit/{id}", async (string id, IHttpClientFactory factory) =>
        {
            using var response = await factory.CreateClient("documents").PostAsync($"/documents/{id}", new ByteArrayContent([1, 2, 3]));
            return Results.Content(await response.Content.ReadAsStringAsync(), "application/json", statusCode: (int)response.StatusCode);
        });
        await _front.StartAsync(Ct);
        _frontUrl = Address(_front);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { _front, _documents })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public async Task The_users_context_reaches_the_downstream_service_and_its_audit_record()
    {
        using var http = new HttpClient { BaseAddress = _frontUrl };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/submit/r1");
        request.Headers.Add(HdsContextHeaders.CorrelationId, "corr-42");
        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, body);

        var seen = JsonSerializer.Deserialize<Seen>(body, JsonSerializerOptions.Web)!;
        Assert.Equal(new Seen("agent-4711", "msa", "claim-processing", "agent", "corr-42", null, "agent-4711"), seen);

        var records = await _client!.GetRecentAuditRecordsAsync(10, new HdsRequestOptions { Context = new HdsAccessContext("auditor-1", "msa", "audit") { Role = "auditor" } }, Ct);
        var put = Assert.Single(records, r => r.Operation == HdsOperation.Put);
        Assert.Equal((HdsAuditOutcome.Succeeded, "agent-4711", "corr-42", "front"), (put.Outcome, put.ActorId, put.CorrelationId, put.Application));
    }

    [Fact]
    public async Task A_captured_signed_request_replayed_or_redirected_is_refused()
    {
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { Roles = ["agent"] };
        var headers = Signed(context, "POST", "/documents/replayed");
        using var http = new HttpClient { BaseAddress = _documentsUrl };

        using var first = await SendAsync(http, HttpMethod.Post, "/documents/replayed", headers);
        using var replay = await SendAsync(http, HttpMethod.Post, "/documents/replayed", headers);
        using var otherPath = await SendAsync(http, HttpMethod.Post, "/documents/elsewhere", Signed(context, "POST", "/documents/replayed"));
        using var otherMethod = await SendAsync(http, HttpMethod.Put, "/documents/replayed", Signed(context, "POST", "/documents/replayed"));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, replay.StatusCode);
        Assert.Contains("replayed-signature", await replay.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", replay.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, otherPath.StatusCode);
        Assert.Contains("bad-signature", await otherPath.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, otherMethod.StatusCode);
        var stored = await _client!.ListAsync(null, new HdsListOptions { Context = context }, Ct).ToListAsync(Ct);
        Assert.Single(stored, i => i.Key == "docs/replayed"); // stored once: the replay wrote nothing
        Assert.DoesNotContain(stored, i => i.Key == "docs/elsewhere");

        // The attempts are in the hash-chained trail, not only in the log: who was claimed, by which caller, why refused.
        var auditor = new HdsRequestOptions { Context = new HdsAccessContext("auditor-1", "msa", "audit") { Roles = ["auditor"] } };
        var refused = (await _client.GetRecentAuditRecordsAsync(20, auditor, Ct)).Where(r => r.Operation == HdsOperation.PropagatedContext).ToList();
        Assert.Equal(["replayed-signature", "bad-signature", "bad-signature"], refused.Select(r => r.Reason).Order(StringComparer.Ordinal).Reverse());
        Assert.All(refused, r => Assert.Equal((HdsAuditOutcome.Denied, "agent-4711", "msa", "front"), (r.Outcome, r.ActorId, r.Tenant, r.Application)));
        var verification = await _client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = auditor.Context }, Ct);
        Assert.True(verification.IsValid, string.Join("; ", verification.Problems));
    }

    [Fact]
    public async Task A_flood_of_forged_contexts_naming_a_trusted_caller_records_a_bounded_number()
    {
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { Roles = ["agent"] };
        using var http = new HttpClient { BaseAddress = _documentsUrl };
        for (var i = 0; i < 130; i++)
        {
            var forged = Signed(context, "POST", "/documents/flood");
            forged[HdsPropagationHeaders.Signature] = "v2=" + Convert.ToBase64String(new byte[32]);
            using var response = await SendAsync(http, HttpMethod.Post, "/documents/flood", forged);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        var auditor = new HdsRequestOptions { Context = new HdsAccessContext("auditor-1", "msa", "audit") { Roles = ["auditor"] } };
        var refused = (await _client!.GetRecentAuditRecordsAsync(500, auditor, Ct)).Count(r => r.Operation == HdsOperation.PropagatedContext);
        Assert.InRange(refused, 120, 129); // the per-minute budget (a minute boundary inside the loop can add a few); never all 130
    }

    [Fact]
    public async Task Roles_and_allowed_purposes_travel_signed_and_cannot_be_added_on_the_way()
    {
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { Roles = ["agent"], AllowedPurposes = ["claim-processing"] };
        var headers = Signed(context, "POST", "/documents/escalated");
        headers[HdsPropagationHeaders.Roles] = "agent,auditor"; // a man in the middle adds a role

        using var http = new HttpClient { BaseAddress = _documentsUrl };
        using var escalated = await SendAsync(http, HttpMethod.Post, "/documents/escalated", headers);

        Assert.Equal(HttpStatusCode.Forbidden, escalated.StatusCode);
        Assert.Contains("bad-signature", await escalated.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Signed(HdsAccessContext context, string method, string path)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var nonce = Guid.NewGuid().ToString("N");
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [HdsContextHeaders.Actor] = context.ActorId,
            [HdsContextHeaders.Tenant] = context.Tenant,
            [HdsContextHeaders.Purpose] = context.Purpose,
            [HdsContextHeaders.ActorKind] = context.ActorKind,
            [HdsPropagationHeaders.Caller] = "front",
            [HdsPropagationHeaders.Timestamp] = timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [HdsPropagationHeaders.Nonce] = nonce,
            [HdsPropagationHeaders.Signature] = ContextSignature.Compute(Key, new SignedRequest("front", timestamp, nonce, method, path), context),
        };
        if (context.Roles.Count > 0)
        {
            headers[HdsPropagationHeaders.Roles] = string.Join(',', context.Roles);
        }

        if (context.AllowedPurposes is { } allowed)
        {
            headers[HdsPropagationHeaders.AllowedPurposes] = string.Join(',', allowed);
        }

        return headers;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, Dictionary<string, string> headers)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent([1]) };
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        return await http.SendAsync(request, Ct);
    }

    [Theory]
    [InlineData("untrusted")]
    [InlineData("unsigned")]
    [InlineData("bad-signature")]
    [InlineData("stale")]
    [InlineData("tampered-field")]
    public async Task A_forged_or_untrusted_propagated_context_is_refused(string forgery)
    {
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var timestamp = forgery == "stale" ? now - 3600 : now;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/documents/x") { Content = new ByteArrayContent([1]) };
        request.Headers.Add(HdsContextHeaders.Actor, context.ActorId);
        request.Headers.Add(HdsContextHeaders.Tenant, forgery == "tampered-field" ? "sncf" : context.Tenant);
        request.Headers.Add(HdsContextHeaders.Purpose, context.Purpose);
        request.Headers.Add(HdsContextHeaders.ActorKind, context.ActorKind);
        request.Headers.Add(HdsPropagationHeaders.Caller, forgery == "untrusted" ? "someone" : "front");
        request.Headers.Add(HdsPropagationHeaders.Timestamp, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (forgery != "unsigned")
        {
            var key = forgery == "bad-signature" ? new byte[32] : Key;
            request.Headers.Add(HdsPropagationHeaders.Nonce, "n" + Guid.NewGuid().ToString("N"));
            request.Headers.Add(HdsPropagationHeaders.Signature, ContextSignature.Compute(key, new SignedRequest("front", timestamp, request.Headers.GetValues(HdsPropagationHeaders.Nonce).Single(), "POST", "/documents/x"), context));
        }

        using var http = new HttpClient { BaseAddress = _documentsUrl };
        using var response = await http.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await _client!.ListAsync(null, new HdsListOptions { Context = context }, Ct).ToListAsync(Ct));
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private sealed record Seen(string Actor, string Tenant, string Purpose, string? Role, string? CorrelationId, string? Patient, string? Writer);
}
