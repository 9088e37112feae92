using System.Globalization;
using System.Security.Claims;
using Hds.Storage.Access;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hds.Storage.AspNetCore;

/// <summary>
/// Makes the request's access context ambient (<see cref="HdsAccessScope"/>) for the rest of the pipeline. The context is built
/// from the authenticated identity: actor, tenant, roles and the purposes it may declare come from its claims; a request header
/// may only choose among those purposes. A context propagated by another service (x-hds-* headers) is accepted only from a
/// trusted caller, with a valid, fresh, single-use signature bound to this request when that caller has a key. Anything
/// malformed or refused is answered with a problem-details body (400 or 403) that never echoes the values; an anonymous request
/// gets no context (the storage client then refuses it).
/// </summary>
public sealed partial class HdsAccessContextMiddleware
{
    // Enough for every genuine incident (a replay is rare); a flood beyond it is visible in the log (event 203).
    private const int RefusalsRecordedPerMinute = 120;

    private readonly RequestDelegate _next;
    private readonly HdsAccessContextOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly NonceCache _nonces;
    private readonly RefusalBudget _refusalBudget;

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
        _nonces = new NonceCache(_time, _options.MaxSignatureAge * 2);
        _refusalBudget = new RefusalBudget(_time, RefusalsRecordedPerMinute);
    }

    /// <summary>Runs the middleware.</summary>
    /// <param name="httpContext">The request.</param>
    /// <returns>A task completing with the request.</returns>
    public async Task InvokeAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var headers = httpContext.Request.Headers;
        var propagated = headers.ContainsKey(HdsPropagationHeaders.Caller) || headers.ContainsKey(HdsContextHeaders.Actor);
        var (context, refusal) = propagated ? AcceptPropagated(httpContext) : FromUser(httpContext);
        if (refusal is { } r)
        {
            if (propagated)
            {
                LogRefused(_logger, r.Reason);
                await RecordRefusalAsync(httpContext, r).ConfigureAwait(false);
            }
            else
            {
                LogUserContextRefused(_logger, r.Reason);
            }

            await WriteProblemAsync(httpContext, r).ConfigureAwait(false);
            return;
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

    // A refused context that named a trusted caller (a replay, a forged or stale signature, a malformed context) is an attempt on
    // this service: it goes into the hash-chained trail of the application's storage client, not only into a log an insider can
    // trim. Refusals of unknown callers are logged only: anyone can send those. A caller id is not a secret, so the records are also
    // bounded (RefusalsRecordedPerMinute, then logged only): a flood of forged requests cannot turn the trail into a denial of service.
    private async Task RecordRefusalAsync(HttpContext http, Refusal refusal)
    {
        var caller = http.Request.Headers[HdsPropagationHeaders.Caller].ToString();
        if (refusal.Reason == "untrusted-caller" || !_options.TrustedCallers.ContainsKey(caller)
            || http.RequestServices.GetService(typeof(HdsStorageClient)) is not HdsStorageClient client)
        {
            return;
        }

        if (!_refusalBudget.TryTake())
        {
            LogRefusalNotRecordedFlood(_logger, refusal.Reason);
            return;
        }

        try
        {
            await client.RecordRefusedPropagatedContextAsync(caller, refusal.Reason, refusal.Claimed, http.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HdsStorageException or OperationCanceledException)
        {
            // The request is refused either way; a record that could not be made durable is logged by the client as critical.
            LogRefusalNotRecorded(_logger, refusal.Reason, ex);
        }
    }

    private (HdsAccessContext? Context, Refusal? Refusal) AcceptPropagated(HttpContext http)
    {
        var headers = http.Request.Headers;
        var caller = headers[HdsPropagationHeaders.Caller].ToString();
        if (caller.Length == 0 || !_options.TrustedCallers.TryGetValue(caller, out var trusted))
        {
            return Forbidden("untrusted-caller");
        }

        HdsAccessContext context;
        try
        {
            context = new HdsAccessContext(headers[HdsContextHeaders.Actor].ToString(), headers[HdsContextHeaders.Tenant].ToString(), headers[HdsContextHeaders.Purpose].ToString())
            {
                ActorKind = Header(headers, HdsContextHeaders.ActorKind) ?? _options.DefaultActorKind,
                Role = Header(headers, HdsContextHeaders.Role),
                Roles = List(Header(headers, HdsPropagationHeaders.Roles)) ?? [],
                AllowedPurposes = List(Header(headers, HdsPropagationHeaders.AllowedPurposes)),
                PatientPseudonym = Header(headers, HdsContextHeaders.PatientPseudonym),
                CorrelationId = Header(headers, HdsContextHeaders.CorrelationId),
                Application = Header(headers, HdsContextHeaders.Application),
            };
            context.Validate();
            if (context.PatientPseudonym is { } propagatedPatient && !HdsPseudonyms.IsValidPatientPseudonym(propagatedPatient))
            {
                return Forbidden("malformed-context");
            }
        }
        catch (HdsInvalidRequestException)
        {
            return Forbidden("malformed-context");
        }

        if (trusted.SigningKey is { } key)
        {
            if (!long.TryParse(headers[HdsPropagationHeaders.Timestamp].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var timestamp))
            {
                return Forbidden("missing-timestamp", context);
            }

            var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp, 0, 253402300799));
            if (age.Duration() > _options.MaxSignatureAge)
            {
                return Forbidden("stale-signature", context);
            }

            var nonce = headers[HdsPropagationHeaders.Nonce].ToString();
            if (nonce.Length is < 16 or > 64 || !nonce.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return Forbidden("missing-nonce", context);
            }

            var target = _options.Audience ?? http.Request.PathBase.Add(http.Request.Path).ToUriComponent();
            if (!ContextSignature.Verify(key, new SignedRequest(caller, timestamp, nonce, http.Request.Method, target), context, Header(headers, HdsPropagationHeaders.Signature)))
            {
                return Forbidden("bad-signature", context);
            }

            // Only a valid signature consumes its nonce: a forger cannot burn the nonces of genuine requests.
            if (!_nonces.TryUse(caller, nonce))
            {
                return Forbidden("replayed-signature", context);
            }
        }
        else if (http.User.Identity?.IsAuthenticated != true || http.User.FindFirstValue(_options.CallerClaim) != caller)
        {
            return Forbidden("caller-not-authenticated", context);
        }

        return (context, null);
    }

    private (HdsAccessContext? Context, Refusal? Refusal) FromUser(HttpContext http)
    {
        var user = http.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return (null, null);
        }

        var actor = user.FindFirstValue(_options.ActorIdClaim);
        var tenant = user.FindFirstValue(_options.TenantClaim);
        if (actor is null || tenant is null)
        {
            return (null, null);
        }

        // What the identity may declare: its listed purposes, its usual purpose and the purpose configured for everyone.
        var usual = user.FindFirstValue(_options.PurposeClaim);
        var allowed = user.FindAll(_options.AllowedPurposesClaim).Select(c => c.Value)
            .Append(usual).Append(_options.DefaultPurpose).OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        var roles = user.FindAll(_options.RoleClaim).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList();

        string? purpose = usual ?? _options.DefaultPurpose;
        if (_options.PurposeHeader is { } purposeHeader && http.Request.Headers.TryGetValue(purposeHeader, out var asked))
        {
            if (asked.Count != 1 || !IsToken(asked[0], 64))
            {
                return BadRequest("invalid-purpose-header", $"The {purposeHeader} header must be one purpose of use: at most 64 characters among letters, digits and - _ . : @.");
            }

            if (!allowed.Contains(asked[0]!, StringComparer.Ordinal))
            {
                return Forbidden("purpose-not-granted");
            }

            purpose = asked[0];
        }

        if (purpose is null)
        {
            return (null, null);
        }

        string? correlation = http.TraceIdentifier;
        if (http.Request.Headers.TryGetValue(HdsContextHeaders.CorrelationId, out var correlationHeader))
        {
            if (correlationHeader.Count != 1 || !IsToken(correlationHeader[0], 128))
            {
                return BadRequest("invalid-correlation-header", $"The {HdsContextHeaders.CorrelationId} header must be at most 128 characters among letters, digits and - _ . : @.");
            }

            correlation = correlationHeader[0];
        }

        // The patient concerned: the identity's own (a patient session) or the route's; a pseudonym only, recorded in the audit trail.
        var patient = _options.PatientClaim is { } patientClaim ? user.FindFirstValue(patientClaim) : null;
        if (patient is null && _options.PatientRouteValue is { } routeValue && http.Request.RouteValues.TryGetValue(routeValue, out var routed) && routed is not null)
        {
            patient = Convert.ToString(routed, CultureInfo.InvariantCulture);
        }

        if (patient is not null && !HdsPseudonyms.IsValidPatientPseudonym(patient))
        {
            return BadRequest("invalid-patient", "The patient named by this request must be a pseudonym (8 to 128 characters among a-z, 0-9 and - _ . :, with a digit), never a name or an identifier.");
        }

        try
        {
            var context = new HdsAccessContext(actor, tenant, purpose)
            {
                PatientPseudonym = patient,
                ActorKind = user.FindFirstValue(_options.ActorKindClaim) ?? _options.DefaultActorKind,
                Role = roles.Count > 0 ? roles[0] : null,
                Roles = roles,
                AllowedPurposes = allowed,
                CorrelationId = IsToken(correlation, 128) ? correlation : null,
                Application = _options.Application,
            };
            context.Validate();
            return (context, null);
        }
        catch (HdsInvalidRequestException)
        {
            // The identity's own claims cannot form a context (a name instead of a pseudonym, a space in a role…): refused, not a 500.
            return Forbidden("invalid-identity-claims");
        }
    }

    private static List<string>? List(string? header) => header is null ? null : [.. header.Split(',')];

    private static bool IsToken(string? value, int maxLength) =>
        !string.IsNullOrEmpty(value) && value.Length <= maxLength && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@');

    private static string? Header(IHeaderDictionary headers, string name) => headers.TryGetValue(name, out var v) && v.Count == 1 && v[0] is { Length: > 0 } s ? s : null;

    private static (HdsAccessContext?, Refusal?) Forbidden(string reason, HdsAccessContext? claimed = null) =>
        (null, new Refusal(StatusCodes.Status403Forbidden, reason, "The access context of this request was refused.") { Claimed = claimed });

    private static (HdsAccessContext?, Refusal?) BadRequest(string reason, string detail) => (null, new Refusal(StatusCodes.Status400BadRequest, reason, detail));

    // RFC 9457 problem details: a reason code and a fixed text, never a value taken from the request.
    private static Task WriteProblemAsync(HttpContext http, Refusal refusal)
    {
        var problem = new ProblemDetails
        {
            Status = refusal.Status,
            Type = "urn:hds-storage:access-context:" + refusal.Reason,
            Title = refusal.Status == StatusCodes.Status400BadRequest ? "Invalid access context" : "Access context refused",
            Detail = refusal.Detail,
        };
        problem.Extensions["reason"] = refusal.Reason;
        http.Response.StatusCode = refusal.Status;
        return http.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json", http.RequestAborted);
    }

    // Claimed: the well-formed context a refused propagated request carried, recorded as claimed (never as proven).
    private sealed record Refusal(int Status, string Reason, string Detail)
    {
        public HdsAccessContext? Claimed { get; init; }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "A propagated access context was refused: {Reason}.")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 202, Level = LogLevel.Critical, Message = "A refused propagated access context ({Reason}) could not be recorded in the audit trail.")]
    private static partial void LogRefusalNotRecorded(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "A refused propagated access context ({Reason}) was not recorded in the audit trail: more than the per-minute budget of refusals arrived.")]
    private static partial void LogRefusalNotRecordedFlood(ILogger logger, string reason);

    // A fixed one-minute window: simple, and the count is all a flood needs bounding by.
    private sealed class RefusalBudget(TimeProvider time, int perMinute)
    {
        private readonly Lock _lock = new();
        private long _window = -1;
        private int _taken;

        public bool TryTake()
        {
            var window = time.GetUtcNow().ToUnixTimeSeconds() / 60;
            lock (_lock)
            {
                if (window != _window)
                {
                    (_window, _taken) = (window, 0);
                }

                return ++_taken <= perMinute;
            }
        }
    }

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "The access context of an authenticated request was refused: {Reason}.")]
    private static partial void LogUserContextRefused(ILogger logger, string reason);
}
