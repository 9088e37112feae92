// A minimal API storing health documents with Hds.Storage: the access context comes from the authenticated identity (middleware),
// document keys are opaque (HMAC of the business id), and every call is authorized by role and purpose and audited.
// Run: dotnet run --project samples/AspNetCoreApi, then (see README.md)
//   curl -X POST -H "X-Demo-User: agent-4711" --data-binary @form.pdf http://localhost:5000/requests/REQ-2024-001
//   curl -H "X-Demo-User: agent-4711" http://localhost:5000/requests/REQ-2024-001 -o back.pdf
//   curl -H "X-Demo-User: auditor-1" http://localhost:5000/audit/tail
//   curl -H "X-Demo-User: agent-4711" -H "x-hds-purpose: audit" http://localhost:5000/audit/tail     -> 403: not a purpose of an agent
//   curl -X PUT -H "X-Demo-User: legal-1" http://localhost:5000/requests/REQ-2024-001/legal-hold/on
//   curl http://localhost:5000/health
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hds.Storage;

var builder = WebApplication.CreateBuilder(args);

// Kestrel refuses request bodies over 30 MB by default (413): health documents (scans, imaging reports) can be larger. Choose the
// largest upload you accept (--MaxUploadMegabytes, 100 by default); the storage streams it in bounded memory whatever its size.
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = builder.Configuration.GetValue("MaxUploadMegabytes", 100L) * 1024 * 1024);
var storePath = builder.Configuration["Store"] ?? Path.Combine(Path.GetTempPath(), "hds-aspnetcore-sample-store");
builder.Services.AddHdsStorage(o => o.Local = new HdsLocalStorageOptions { Path = storePath });

// Storage reachable, bucket fit for health data (versioning + object lock), key ring available: for load balancers and orchestrators.
builder.Services.AddHealthChecks().AddHdsStorage();

// In production the opaque-key secret comes from a vault; a random one here means keys change on each run.
builder.Services.AddSingleton(_ => new HdsOpaqueKeys(RandomNumberGenerator.GetBytes(32)));

// Roles and allowed purposes come from the identity's claims ("role", "hds_purpose", "hds_allowed_purpose" by default); the
// x-hds-purpose header may only choose among the purposes the identity holds.
builder.Services.AddHdsAccessContext(o => o.Application = "aspnetcore-sample");

var app = builder.Build();

// Typed errors map to HTTP statuses with a problem-details body; messages never hold health data, and never a stack trace.
app.Use(async (http, next) =>
{
    try
    {
        await next(http);
    }
    catch (HdsStorageException ex) when (!http.Response.HasStarted)
    {
        var status = ex.ErrorCode switch
        {
            HdsErrorCode.AccessDenied => StatusCodes.Status403Forbidden,
            HdsErrorCode.NotFound => StatusCodes.Status404NotFound,
            HdsErrorCode.InvalidRequest => StatusCodes.Status400BadRequest,
            HdsErrorCode.ObjectLocked => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status500InternalServerError,
        };
        await Results.Problem(detail: ex.Message, statusCode: status, type: "urn:hds-storage:" + ex.ErrorCode).ExecuteAsync(http);
    }
    catch (BadHttpRequestException ex) when (!http.Response.HasStarted)
    {
        // The web server refused the upload (413 over MaxRequestBodySize): nothing was stored; the audit trail says content-unreadable.
        await Results.Problem(detail: ex.Message + " Nothing was stored.", statusCode: ex.StatusCode).ExecuteAsync(http);
    }
});

app.MapHealthChecks("/health");

// DEMO ONLY: stands in for real authentication (OpenID Connect, JWT bearer), whose identity provider would issue these claims.
// Never trust a plain header in production.
app.Use((http, next) =>
{
    if (http.Request.Headers["X-Demo-User"].ToString() is { Length: > 0 } user)
    {
        http.User = new ClaimsPrincipal(new ClaimsIdentity(DemoClaims(user), "demo"));
    }

    return next(http);
});
app.UseHdsAccessContext();

app.MapPost("/requests/{requestId}", async (string requestId, HttpRequest request, HdsStorageClient storage, HdsOpaqueKeys keys) =>
{
    // The business id never appears in the object key: only its HMAC does.
    var receipt = await storage.PutAsync(DocumentKey(keys, requestId), request.Body,
        new HdsPutOptions { ContentType = "application/pdf" }, request.HttpContext.RequestAborted);
    return Results.Ok(receipt);
});

app.MapGet("/requests/{requestId}", async (string requestId, HdsStorageClient storage, HdsOpaqueKeys keys, HttpContext http) =>
{
    var download = await storage.GetAsync(DocumentKey(keys, requestId), cancellationToken: http.RequestAborted);
    http.Response.RegisterForDisposeAsync(download);
    return Results.Stream(download.Content, "application/pdf");
});

// Setting and releasing a hold need the role "legal" and the purpose "legal-hold" (the default policy).
app.MapPut("/requests/{requestId}/legal-hold/{state}", async (string requestId, string state, HdsStorageClient storage, HdsOpaqueKeys keys, HttpContext http) =>
    state is "on" or "off"
        ? Results.Ok(await storage.SetLegalHoldAsync(DocumentKey(keys, requestId), state == "on", cancellationToken: http.RequestAborted))
        : Results.Problem(detail: "The state is on or off.", statusCode: StatusCodes.Status400BadRequest));

// Reading the trail needs the role "auditor" and the purpose "audit" (the default policy). One record per line in the shape the CLI's
// 'hds audit tail -o json' prints (HdsAuditRecord's properties in camelCase: sequence, operation, actorId…), not the stored, hashed
// line of ToJsonLine (seq, op, actor…), which is the verifier's business.
var auditJson = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
app.MapGet("/audit/tail", async (HdsStorageClient storage, HttpContext http) =>
    Results.Text(string.Join('\n', (await storage.GetRecentAuditRecordsAsync(20, cancellationToken: http.RequestAborted)).Select(r => JsonSerializer.Serialize(r, auditJson))) + "\n",
        "application/x-ndjson"));

app.Run();

static string DocumentKey(HdsOpaqueKeys keys, string requestId) => $"requests/{keys.Derive("request", requestId)}/form.pdf";

// The demo identities: an auditor, a legal officer, and any other user name an agent of the scheme "msa".
static IEnumerable<Claim> DemoClaims(string user)
{
    yield return new Claim("sub", user);
    yield return new Claim("hds_tenant", "msa");
    var (role, purposes) = user switch
    {
        "auditor-1" => ("auditor", new[] { "audit" }),
        "legal-1" => ("legal", new[] { "legal-hold", "retention" }),
        _ => ("agent", new[] { "claim-processing" }),
    };
    yield return new Claim("role", role);
    yield return new Claim("hds_purpose", purposes[0]);
    foreach (var purpose in purposes)
    {
        yield return new Claim("hds_allowed_purpose", purpose);
    }
}
