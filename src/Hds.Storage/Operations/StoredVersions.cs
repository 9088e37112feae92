using Hds.Storage.Backends;
using Hds.Storage.Encryption;
using Hds.Storage.Models;
using Hds.Storage.Objects;

namespace Hds.Storage.Operations;

/// <summary>What a stored version's head (as a backend answered it) means to the verbs: its public properties, what the decoder checks, the version asked.</summary>
internal static class StoredVersions
{
    /// <summary>
    /// A server asked for one version must answer with that version: otherwise a stale (or another) version would be read, or
    /// verified locked, in its place. The content cannot tell versions of the same key apart (the identity is tenant + key).
    /// </summary>
    public static void RequireVersion(string? requested, BackendObjectHead answered)
    {
        if (requested is not null && !string.Equals(requested, answered.VersionId, StringComparison.Ordinal))
        {
            throw new HdsIntegrityException("The storage answered with another version than the one requested: nothing of it was returned. Check the storage gateway.");
        }
    }

    /// <summary>What the decoder checks the content's write binding against (the storage's date and the version's metadata).</summary>
    public static StoredVersion Of(BackendObjectHead head) => new(head.LastModified, head.Metadata);

    /// <summary>The version's public properties.</summary>
    public static HdsObjectProperties ToProperties(string key, BackendObjectHead head) => new()
    {
        Key = key,
        VersionId = head.VersionId,
        StoredSize = head.StoredLength,
        ContentType = head.ContentType,
        LastModified = head.LastModified,
        Retention = head.Retention,
        RetentionClass = head.Metadata.GetValueOrDefault(MetadataNames.RetentionClass),
        FormatVersion = int.TryParse(head.Metadata.GetValueOrDefault(MetadataNames.Format), out var f) ? f : null,
        Writer = head.Metadata.GetValueOrDefault(MetadataNames.Writer),
        ETag = head.ETag,
    };
}
