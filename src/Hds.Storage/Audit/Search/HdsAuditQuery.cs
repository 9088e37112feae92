using Hds.Storage.Access;
using Hds.Storage.Models;

namespace Hds.Storage;

/// <summary>
/// What <see cref="HdsStorageClient.SearchAuditAsync"/> looks for: every filter set must match (a filter left null matches all).
/// The time range also prunes the segments read: a segment whose name says its records are all outside the range is not read.
/// </summary>
public sealed class HdsAuditQuery : HdsRequestOptions
{
    /// <summary>Records of this patient pseudonym only (never a name: checked by <see cref="HdsPseudonyms"/>).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Patient { get; set; }

    /// <summary>Records of this actor only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Actor { get; set; }

    /// <summary>Records of this tenant only; every tenant when null (reading the trail is a bucket-wide right).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Tenant { get; set; }

    /// <summary>Records with this purpose of use only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Purpose { get; set; }

    /// <summary>Records of this operation only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsOperation? Operation { get; set; }

    /// <summary>Records with this outcome only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsAuditOutcome? Outcome { get; set; }

    /// <summary>Records of exactly this object key only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Key { get; set; }

    /// <summary>Records whose object key starts with this prefix only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? KeyPrefix { get; set; }

    /// <summary>Records of this version id only.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? VersionId { get; set; }

    /// <summary>Records from this time on (inclusive); from the beginning when null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public DateTimeOffset? From { get; set; }

    /// <summary>Records up to this time (inclusive); to the end when null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public DateTimeOffset? To { get; set; }

    /// <summary>
    /// Only records already vouched for by their writer's signed checkpoint: leaves out those of segments stored within the grace period
    /// and not signed yet (returned otherwise, marked <see cref="HdsAuditSegmentInfo.AwaitingCheckpoint"/>). For copies kept outside the
    /// trail, such as an export: a later run takes those records once signed, and a copy never holds records a later verification rejects.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool SignedOnly { get; set; }

    /// <summary>Whether a record matches every filter set.</summary>
    /// <param name="record">The record.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Matches(HdsAuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return (From is not { } from || record.Time >= from)
            && (To is not { } to || record.Time <= to)
            && Is(Patient, record.PatientPseudonym)
            && Is(Actor, record.ActorId)
            && Is(Tenant, record.Tenant)
            && Is(Purpose, record.Purpose)
            && (Operation is not { } op || record.Operation == op)
            && (Outcome is not { } outcome || record.Outcome == outcome)
            && Is(Key, record.Key)
            && (KeyPrefix is null || (record.Key is not null && record.Key.StartsWith(KeyPrefix, StringComparison.Ordinal)))
            && Is(VersionId, record.VersionId);
    }

    internal void Validate()
    {
        if (Patient is not null)
        {
            HdsPseudonyms.ValidatePatientPseudonym(Patient, "The patient filter");
        }

        if (From is { } from && To is { } to && to < from)
        {
            throw new HdsInvalidRequestException("The search window ends before it starts.");
        }
    }

    private static bool Is(string? wanted, string? actual) => wanted is null || string.Equals(wanted, actual, StringComparison.Ordinal);
}
