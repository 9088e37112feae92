using Hds.Storage.Retention;

namespace Hds.Storage.Models;

/// <summary>What the storage says about one version, without reading its content.</summary>
public sealed record HdsObjectProperties
{
    /// <summary>The object key.</summary>
    public required string Key { get; init; }

    /// <summary>The version id.</summary>
    public required string VersionId { get; init; }

    /// <summary>Length of the stored (encoded) object in bytes.</summary>
    public required long StoredSize { get; init; }

    /// <summary>Length of the content, when recorded in the object's metadata (verified only by a read).</summary>
    public long? Size { get; init; }

    /// <summary>The content type given at write time.</summary>
    public string? ContentType { get; init; }

    /// <summary>When the storage recorded the version.</summary>
    public required DateTimeOffset LastModified { get; init; }

    /// <summary>The object lock state of the version.</summary>
    public required HdsRetentionInfo Retention { get; init; }

    /// <summary>The retention class the version was written with.</summary>
    public string? RetentionClass { get; init; }

    /// <summary>Version of the stored object format.</summary>
    public int? FormatVersion { get; init; }

    /// <summary>The pseudonymous id of the writer.</summary>
    public string? Writer { get; init; }

    /// <summary>The storage's entity tag.</summary>
    public string? ETag { get; init; }
}
