using System.Text.Json.Serialization;

namespace Hds.Storage.Models;

/// <summary>S3 Object Lock retention mode of a version. Serialized by System.Text.Json by name ("Compliance"), so receipts
/// returned from web APIs read the same as those printed by the CLI.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HdsRetentionMode>))]
public enum HdsRetentionMode
{
    /// <summary>No retention: the version can be deleted. Hds.Storage never reports a successful write in this state.</summary>
    None = 0,

    /// <summary>Nobody, not even the storage administrator through the S3 API, can delete the version or shorten its retention.</summary>
    Compliance = 1,

    /// <summary>Users with a special permission may bypass the retention (StorageGRID 11.9+, AWS, Ceph).</summary>
    Governance = 2,
}
