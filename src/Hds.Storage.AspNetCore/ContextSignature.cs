using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Hds.Storage.Access;

namespace Hds.Storage.AspNetCore;

/// <summary>HMAC-SHA-256 over "hds-ctx-v1", the caller, the timestamp and every context field, newline-separated (fields never hold newlines).</summary>
internal static class ContextSignature
{
    public const string Prefix = "v1=";

    public static string Compute(byte[] key, string caller, long timestamp, HdsAccessContext c)
    {
        var text = string.Join('\n',
            "hds-ctx-v1", caller, timestamp.ToString(CultureInfo.InvariantCulture), c.ActorId, c.ActorKind, c.Role ?? string.Empty, c.Tenant, c.Purpose,
            c.PatientPseudonym ?? string.Empty, c.CorrelationId ?? string.Empty, c.Application ?? string.Empty);
        return Prefix + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text)));
    }

    public static bool Verify(byte[] key, string caller, long timestamp, HdsAccessContext context, string? presented)
    {
        if (presented is null)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(key, caller, timestamp, context));
        var actual = Encoding.ASCII.GetBytes(presented);
        return expected.Length == actual.Length && CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
