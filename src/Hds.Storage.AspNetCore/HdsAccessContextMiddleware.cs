using System.Globalization;
using System.Security.Claims;
using Hds.Storage.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hds.Storage.AspNetCore;

/// <summary>
/// Makes the request's access context ambient (<see cref="HdsAccessScope"/>) for the rest of the pipeline. A context propagated
/// by another service (x-hds-* headers) is accepted only from a trusted caller, and only with a valid, fresh signature when that
/// caller has a key; anything else is refused with 403. Otherwise the context is built from the authenticated user's claims;
/// an anonymous request gets no context (the storage client then refuses it).
/// </summary>
public sealed partial class HdsAccessContextMiddleware
{
    private readonly RequestDelegate _next;
    private readonly HdsAccessContextOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the middleware.</summary>
    /// <param name="next">The rest of the pipeline.</param>
    /// <param name="options">The claim mapping and trusted callers.</param>
    /// <param name="loggerFactory">Logging.</param>
    /// <param name="timeProvider">The clock checking signature ages; the system clock when null.</param>
    public HdsAccessContextMiddleware(RequestDelegate next, IOptions<HdsAccessContextOptions> options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _next = next;
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _logger = loggerFactory.CreateLogger("Hds.Storage.AspNetCore");
    }

    /// <summary>Runs the middleware.</summary>
    /// <param name="httpContext">The request.</param>
    /// <returns>A task completing with the request.</returns>
    public async Task InvokeAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        HdsAccessContext? context;
        if (httpContext.Request.Headers.ContainsKey(HdsPropagationHeaders.Caller) || httpContext.Request.Headers.ContainsKey(HdsContextHeaders.Actor))
        {
            var (accepted, reason) = AcceptPropagated(httpContext);
            if (accepted is null)
            {
                LogRefused(_logger, reason);
                httpContext.Response.StatusCode = StatusCodes.Status403Forbidden;
                await httpContext.Response.WriteAsync($"The propagated access context was refused ({reason}).", httpContext.RequestAborted).ConfigureAwait(false);
                return;
            }

            context = accepted;
        }
        else
        {
            context = FromUser(httpContext);
        }

        if (context is null)
        {
            await _next(httpContext).ConfigureAwait(false);
            return;
        }

        using (HdsAccessScope.Begin(context))
        {
            await _next(httpContext).ConfigureAwait(false);
        }
    }

    private (HdsAccessContext? Context, string Reason) AcceptPropagated(HttpContext http)
    {
        var headers = http.Request.Headers;
        var caller = headers[HdsPropagationHeaders.Caller].ToString();
        if (caller.Length == 0 || !_options.TrustedCallers.TryGetValue(caller, out var trusted))
        {
            return (null, "untrusted-caller");
        }

        HdsAccessContext context;
        try
        {
            context = new HdsAccessContext(headers[HdsContextHeaders.Actor].ToString(), headers[HdsContextHeaders.Tenant].ToString(), headers[HdsContextHeaders.Purpose].ToString())
            {
                ActorKind = Header(headers, HdsContextHeaders.ActorKind) ?? _options.DefaultActorKind,
                Role = Header(headers, HdsContextHeaders.Role),
                PatientPseudonym = Header(headers, HdsContextHeaders.PatientPseudonym),
                CorrelationId = Header(headers, HdsContextHeaders.CorrelationId),
                Application = Header(headers, HdsContextHeaders.Application),
            };
            context.Validate();
        }
        catch (HdsInvalidRequestException)
        {
            return (null, "malformed-context");
        }

        if (trusted.SigningKey is { } key)
        {
            if (!long.TryParse(headers[HdsPropagationHeaders.Timestamp].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
            {
                return (null, "missing-timestamp");
            }

            var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp, 0, 253402300799));
            if (age.Duration() > _options.MaxSignatureAge)
            {
                return (null, "stale-signature");
            }

            if (!ContextSignature.Verify(key, caller, timestamp, context, Header(headers, HdsPropagationHeaders.Signature)))
            {
                return (null, "bad-signature");
            }
        }
        else if (http.User.Identity?.IsAuthenticated != true || http.User.FindFirstValue(_options.CallerClaim) != caller)
        {
            return (null, "caller-not-authenticated");
        }

        return (context, "accepted");
    }

    private HdsAccessContext? FromUser(HttpContext http)
    {
        var user = http.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        var actor = user.FindFirstValue(_options.ActorIdClaim);
        var tenant = user.FindFirstValue(_options.TenantClaim);
        var purpose = user.FindFirstValue(_options.PurposeClaim)
            ?? (_options.PurposeHeader is { } h ? Header(http.Request.Headers, h) : null)
            ?? _options.DefaultPurpose;
        if (actor is null || tenant is null || purpose is null)
        {
            return null;
        }

        var correlation = Header(http.Request.Headers, HdsContextHeaders.CorrelationId) ?? http.TraceIdentifier;
        var context = new HdsAccessContext(actor, tenant, purpose)
        {
            ActorKind = user.FindFirstValue(_options.ActorKindClaim) ?? _options.DefaultActorKind,
            Role = user.FindFirstValue(_options.RoleClaim),
            CorrelationId = correlation.Length <= 128 && correlation.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@') ? correlation : null,
            Application = _options.Application,
        };
        return context;
    }

    private static string? Header(IHeaderDictionary headers, string name) => headers.TryGetValue(name, out var v) && v.Count == 1 && v[0] is { Length: > 0 } s ? s : null;

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "A propagated access context was refused: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string reason);
}
