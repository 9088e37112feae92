using System.Text.Json.Serialization;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.Backends.Local;

/// <summary>The committed description of one version in the local store (one JSON file per version, written last).</summary>
internal sealed record LocalVersionRecord(
    string Key,
    string VersionId,
    bool DeleteMarker,
    long Length,
    DateTimeOffset LastModified,
    string? ContentType,
    Dictionary<string, string> Metadata,
    HdsRetentionMode Mode,
    DateTimeOffset? RetainUntil,
    bool LegalHold,
    string? ETag);

/// <summary>The store's own settings, in hds-store.json at its root.</summary>
internal sealed record LocalStoreManifest(string Versioning, bool ObjectLockEnabled, int Layout);

[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(LocalVersionRecord))]
[JsonSerializable(typeof(LocalStoreManifest))]
internal sealed partial class LocalStoreJson : JsonSerializerContext;
