using System.Net;
using System.Security.Claims;
using Hds.Storage.Access;
using Hds.Storage.AspNetCore;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
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
/// Issue 17: the middleware takes the patient pseudonym from a configured route value (or the identity's claim, its name configurable), so
/// the audit record of the storage operation names the patient, also in a downstream service reached with signed propagation; a value
/// that is not a pseudonym is answered 400 and never reaches the trail.
/// </summary>
public sealed class PatientPseudonymTests : IAsyncLifetime
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-patient-" + Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private HdsStorageClient? _client;
    private Uri? _url;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _client = new HdsStorageClient(new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _store } });
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddHdsAccessContext(o => o.PatientRouteValue = "patient");
        _app = builder.Build();
        _app.UseRouting();
        _app.Use((http, next) =>
        {
            // Stands in for real authentication; a patient-portal session carries its patient as a claim.
            var claims = new List<Claim> { new("sub", "doc-7"), new("hds_tenant", "msa"), new("hds_purpose", "care"), new("role", "doctor") };
            if (http.Request.Headers.TryGetValue("x-test-patient-claim", out var claimed))
            {
                claims.Add(new Claim("hds_patient", claimed.ToString()));
            }

            http.User = new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
            return next(http);
        });
        _app.UseHdsAccessContext();
        _app.MapPost("/patients/{patient}/documents/{id}", async (string patient, string id, HttpRequest request) =>
        {
            await _client.PutAsync($"docs/{id}", request.Body, cancellationToken: request.HttpContext.RequestAborted);
            return Results.Ok();
        });
        await _app.StartAsync(Ct);
        _url = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        Directory.Delete(_store, recursive: true);
    }

    [Fact]
    public async Task The_route_or_claim_pseudonym_is_recorded_and_a_name_is_refused_with_400()
    {
        using var http = new HttpClient { BaseAddress = _url };
        using var routed = await http.PostAsync("/patients/msa:p-55501234/documents/d1", new ByteArrayContent([1]), Ct);
        using var claimed = new HttpRequestMessage(HttpMethod.Post, "/patients/msa:p-55501234/documents/d2") { Content = new ByteArrayContent([2]) };
        claimed.Headers.Add("x-test-patient-claim", "msa:p-77701234");
        using var claimedResponse = await http.SendAsync(claimed, Ct);
        using var named = await http.PostAsync("/patients/jean.dupont/documents/d3", new ByteArrayContent([3]), Ct);

        Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, claimedResponse.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, named.StatusCode);
        var problem = await named.Content.ReadAsStringAsync(Ct);
        Assert.Contains("invalid-patient", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("dupont", problem, StringComparison.Ordinal);

        var search = await _client!.SearchAuditAsync(new HdsAuditQuery { Context = new HdsAccessContext("dpo-1", "msa", "audit") { Role = "auditor" }, Operation = HdsOperation.Put }, Ct);
        var puts = new List<HdsAuditRecord>();
        await foreach (var record in search.WithCancellation(Ct))
        {
            puts.Add(record);
        }

        Assert.Equal("msa:p-55501234", Assert.Single(puts, r => r.Key == "docs/d1").PatientPseudonym);
        Assert.Equal("msa:p-77701234", Assert.Single(puts, r => r.Key == "docs/d2").PatientPseudonym); // the identity's own patient wins
        Assert.DoesNotContain(puts, r => r.Key == "docs/d3");
    }

    [Fact]
    public async Task A_configured_claim_names_the_patient_and_the_pseudonym_reaches_a_downstream_services_trail()
    {
        // The downstream service trusts the front (signed propagation) and stores the document with the test's client.
        var key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        var documents = WebApplication.CreateSlimBuilder();
        documents.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        documents.Logging.ClearProviders();
        documents.Services.AddHdsAccessContext(o => o.TrustedCallers["front"] = new HdsTrustedCaller { SigningKey = key });
        await using var documentsApp = documents.Build();
        documentsApp.UseHdsAccessContext();
        documentsApp.MapPost("/documents/{id}", async (string id, HttpRequest request) =>
        {
            await _client!.PutAsync($"docs/{id}", request.Body, cancellationToken: request.HttpContext.RequestAborted);
            return Results.Ok();
        });
        await documentsApp.StartAsync(Ct);
        var documentsUrl = documentsApp.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        // The front names the patient with its own claim ("pid"); the default claim's value must not be the one recorded.
        var front = WebApplication.CreateSlimBuilder();
        front.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        front.Logging.ClearProviders();
        front.Services.AddHdsAccessContext(o => { o.Application = "front"; o.PatientClaim = "pid"; });
        front.Services.AddHttpClient("documents", c => c.BaseAddress = new Uri(documentsUrl))
            .AddHdsContextPropagation(o => { o.CallerId = "front"; o.SigningKey = key; });
        await using var frontApp = front.Build();
        frontApp.Use((http, next) =>
        {
            http.User = new ClaimsPrincipal(new ClaimsIdentity(
                [new Claim("sub", "doc-7"), new Claim("hds_tenant", "msa"), new Claim("hds_purpose", "care"), new Claim("pid", "msa:p-42424242"), new Claim("hds_patient", "msa:p-99990000")], "test"));
            return next(http);
        });
        frontApp.UseHdsAccessContext();
        frontApp.MapPost("/submit/{id}", async (string id, IHttpClientFactory factory) =>
        {
            using var response = await factory.CreateClient("documents").PostAsync($"/documents/{id}", new ByteArrayContent([1, 2, 3]));
            return Results.StatusCode((int)response.StatusCode);
        });
        await frontApp.StartAsync(Ct);

        using var http = new HttpClient { BaseAddress = new Uri(frontApp.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
        using var response = await http.PostAsync("/submit/propagated", new ByteArrayContent([]), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var search = await _client!.SearchAuditAsync(new HdsAuditQuery { Context = new HdsAccessContext("dpo-1", "msa", "audit") { Role = "auditor" }, Key = "docs/propagated" }, Ct);
        var records = new List<HdsAuditRecord>();
        await foreach (var record in search.WithCancellation(Ct))
        {
            records.Add(record);
        }

        var put = Assert.Single(records, r => r.Operation == HdsOperation.Put);
        Assert.Equal(("msa:p-42424242", "doc-7", "front"), (put.PatientPseudonym, put.ActorId, put.Application));
        await frontApp.StopAsync(Ct);
        await documentsApp.StopAsync(Ct);
    }
}
