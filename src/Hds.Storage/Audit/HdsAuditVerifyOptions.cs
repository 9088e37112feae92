namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.VerifyAuditLogAsync"/>.</summary>
public sealed class HdsAuditVerifyOptions : HdsRequestOptions
{
    /// <summary>Verify the segments holding records from this time on; from the beginning when null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public DateTimeOffset? From { get; set; }

    /// <summary>Verify the segments holding records up to this time; to the end when null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public DateTimeOffset? To { get; set; }
}
