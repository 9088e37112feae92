using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hds.Storage.Access;

namespace Hds.Storage.AspNetCore;

/// <summary>
/// HMAC-SHA-256 over "hds-ctx-v2", the caller, the timestamp, the nonce, the HTTP method, the target (the caller-chosen audience,
/// else the request path) and every context field including the roles and allowed purposes, newline-separated (fields never
/// hold newlines). Binding the method, target and a single-use nonce means captured headers cannot be replayed, nor sent to
/// another endpoint.
/// </summary>
internal static class ContextSignature
{
    public const string Prefix = "v2=";

    public static string Compute(byte[] key, SignedRequest request, HdsAccessContext c)
    {
        var text = string.Join('\n',
            "hds-ctx-v2", request.Caller, request.Timestamp.ToString(CultureInfo.InvariantCulture), request.Nonce, request.Method.ToUpperInvariant(), request.Target,
            c.ActorId, c.ActorKind, c.Role ?? string.Empty, c.Tenant, c.Purpose, c.PatientPseudonym ?? string.Empty, c.CorrelationId ?? string.Empty,
            c.Application ?? string.Empty, string.Join(',', c.Roles), c.AllowedPurposes is { } allowed ? string.Join(',', allowed) : "*");
        return Prefix + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));
    }

    public static bool Verify(byte[] key, SignedRequest request, HdsAccessContext context, string? presented)
    {
        if (presented is null)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(key, request, context));
        var actual = Encoding.UTF8.GetBytes(presented);
        return expected.Length == actual.Length && CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}

/// <summary>What a context signature binds besides the context: who signed, when, once, and for which request.</summary>
internal sealed record SignedRequest(string Caller, long Timestamp, string Nonce, string Method, string Target);
