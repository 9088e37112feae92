// A minimal API storing health documents with Hds.Storage: the access context comes from the authenticated user (middleware),
// document keys are opaque (HMAC of the business id), and every call is authorized and audited.
// Run: dotnet run --project samples/AspNetCoreApi, then
//   curl -X POST -H "X-Demo-User: agent-4711" --data-binary @form.pdf http://localhost:5000/requests/REQ-2024-001
//   curl -H "X-Demo-User: agent-4711" http://localhost:5000/requests/REQ-2024-001 -o back.pdf
//   curl -H "X-Demo-User: auditor-1" -H "x-hds-purpose: audit" http://localhost:5000/audit/tail
//   curl http://localhost:5000/health
using System.Security.Claims;
using System.Security.Cryptography;
using Hds.Storage;
using Hds.Storage.AspNetCore;
using Hds.Storage.Access;
using Hds.Storage.Backends.Local;

var builder = WebApplication.CreateBuilder(args);
var storePath = builder.Configuration["Store"] ?? Path.Combine(Path.GetTempPath(), "hds-aspnetcore-sample-store");
builder.Services.AddHdsStorage(o => o.Local = new LocalStorageOptions { Path = storePath });

// Storage reachable, bucket fit for health data (versioning + object lock), key ring available: for load balancers and orchestrators.
builder.Services.AddHealthChecks().AddHdsStorage();

// In production the opaque-key secret comes from a vault; a random one here means keys change on each run.
builder.Services.AddSingleton(_ => new HdsOpaqueKeys(RandomNumberGenerator.GetBytes(32)));
builder.Services.AddHdsAccessContext(o =>
{
    o.Application = "aspnetcore-sample";
    o.DefaultPurpose = "claim-processing";
});

var app = builder.Build();
app.MapHealthChecks("/health");

// DEMO ONLY: stands in for real authentication (OpenID Connect, JWT bearer). Never trust a plain header in production.
app.Use((http, next) =>
{
    if (http.Request.Headers["X-Demo-User"].ToString() is { Length: > 0 } user)
    {
        http.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", user), new Claim("hds_tenant", "msa"), new Claim("role", "agent")], "demo"));
    }

    return next(http);
});
app.UseHdsAccessContext();

app.MapPost("/requests/{requestId}", async (string requestId, HttpRequest request, HdsStorageClient storage, HdsOpaqueKeys keys) =>
{
    // The business id never appears in the object key: only its HMAC does.
    var receipt = await storage.PutAsync($"requests/{keys.Derive("request", requestId)}/form.pdf", request.Body,
        new PutOptions { ContentType = "application/pdf" }, request.HttpContext.RequestAborted);
    return Results.Ok(receipt);
});

app.MapGet("/requests/{requestId}", async (string requestId, HdsStorageClient storage, HdsOpaqueKeys keys, HttpContext http) =>
{
    var download = await storage.GetAsync($"requests/{keys.Derive("request", requestId)}/form.pdf", cancellationToken: http.RequestAborted);
    http.Response.RegisterForDisposeAsync(download);
    return Results.Stream(download.Content, "application/pdf");
});

app.MapGet("/audit/tail", async (HdsStorageClient storage, HttpContext http) =>
    Results.Text(string.Join('\n', (await storage.GetRecentAuditRecordsAsync(20, cancellationToken: http.RequestAborted)).Select(r => r.ToJsonLine())) + "\n",
        "application/x-ndjson"));

// Typed errors map to HTTP statuses; messages never hold health data.
app.Use(async (http, next) =>
{
    try
    {
        await next(http);
    }
    catch (HdsStorageException ex)
    {
        http.Response.StatusCode = ex.ErrorCode switch
        {
            HdsErrorCode.AccessDenied => 403,
            HdsErrorCode.NotFound => 404,
            HdsErrorCode.InvalidRequest => 400,
            _ => 500,
        };
        await http.Response.WriteAsync(ex.Message);
    }
});

app.Run();
