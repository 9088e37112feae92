using Hds.Storage.Models;
namespace Hds.Storage;

/// <summary>
/// How long the documents of one class are kept and under which mode, for example "medical-record": 20 years COMPLIANCE.
/// </summary>
public sealed class HdsRetentionClass
{
    /// <summary>The lock mode applied to every version written with this class.</summary>
    /// <value>The default value is <see cref="HdsRetentionMode.Compliance"/>.</value>
    public HdsRetentionMode Mode { get; set; } = HdsRetentionMode.Compliance;

    /// <summary>How long a version stays locked after it is written.</summary>
    /// <value>The default value is 20 years (7305 days).</value>
    public TimeSpan Duration { get; set; } = TimeSpan.FromDays(7305);

    /// <summary>Whether versions of this class are written under legal hold.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool LegalHold { get; set; }
}
