using System.Text;

namespace Hds.Storage.Objects;

/// <summary>
/// Validates object keys before any I/O and maps a tenant's logical key to the physical key in the bucket.
/// Physical layout: "{tenant}/{key}"; the reserved prefix "_hds/" holds the SDK's own objects (key ring, audit).
/// </summary>
internal static class ObjectKeys
{
    public const string ReservedPrefix = "_hds/";
    public const int MaxKeyBytes = 900; // S3 allows 1024 UTF-8 bytes; keep room for the tenant prefix.

    public static void Validate(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
        {
            throw Invalid("The object key is empty.");
        }

        if (Encoding.UTF8.GetByteCount(key) > MaxKeyBytes)
        {
            throw Invalid($"The object key is longer than {MaxKeyBytes} UTF-8 bytes.");
        }

        foreach (var c in key)
        {
            if (char.IsControl(c) || c == '\\' || char.IsSurrogate(c) && !char.IsHighSurrogate(c) && !char.IsLowSurrogate(c))
            {
                throw Invalid("The object key contains a control character or a backslash.");
            }
        }

        if (key.StartsWith('/') || key.EndsWith('/') || key.Contains("//", StringComparison.Ordinal))
        {
            throw Invalid("The object key must not start or end with '/' nor contain an empty segment.");
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment is "." or "..")
            {
                throw Invalid("The object key must not contain '.' or '..' segments.");
            }
        }

        if (key.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase) || key.Equals("_hds", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("The object key uses the reserved prefix '_hds/'.");
        }

        if (!key.IsNormalized(NormalizationForm.FormC))
        {
            throw Invalid("The object key must be in Unicode normalization form C.");
        }
    }

    public static void ValidatePrefix(string? prefix)
    {
        if (string.IsNullOrEmpty(prefix))
        {
            return;
        }

        if (Encoding.UTF8.GetByteCount(prefix) > MaxKeyBytes || prefix.Any(c => char.IsControl(c) || c == '\\') || prefix.StartsWith('/'))
        {
            throw Invalid("The prefix is invalid: at most 900 UTF-8 bytes, no control character, no backslash, no leading '/'.");
        }
    }

    /// <summary>A version id as the stores write them: 1 to 1024 printable ASCII characters (checked before a request or an audit record names it).</summary>
    public static bool IsValidVersionId(string versionId) => versionId.Length is > 0 and <= 1024 && versionId.All(c => c is > ' ' and < (char)127);

    public static void ValidateVersionId(string? versionId)
    {
        if (versionId is not null && !IsValidVersionId(versionId))
        {
            throw new HdsInvalidRequestException("The version id is malformed: 1 to 1024 printable ASCII characters.");
        }
    }

    public static string ToPhysical(string tenant, string key) => tenant + "/" + key;

    public static string TenantPrefix(string tenant) => tenant + "/";

    public static string ToLogical(string tenant, string physicalKey) => physicalKey[(tenant.Length + 1)..];

    private static HdsInvalidRequestException Invalid(string message) =>
        new(message + " Object keys are 1 to 900 UTF-8 bytes of '/'-separated segments; never put names or health data in keys.");
}
