using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage.Models;

/// <summary>The object lock state of one version, as read back from the storage.</summary>
public sealed record HdsRetentionInfo
{
    /// <summary>Creates an empty HdsRetentionInfo, to fill with an object initializer.</summary>
    public HdsRetentionInfo()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsRetentionInfo(HdsRetentionMode mode, DateTimeOffset? retainUntil, bool legalHold)
    {
        Mode = mode;
        RetainUntil = retainUntil;
        LegalHold = legalHold;
    }

    /// <summary>The retention mode; <see cref="HdsRetentionMode.None"/> when the version is not locked.</summary>
    public required HdsRetentionMode Mode { get; init; }

    /// <summary>The end of the retention, when there is one.</summary>
    public DateTimeOffset? RetainUntil { get; init; }

    /// <summary>Whether a legal hold is on.</summary>
    public required bool LegalHold { get; init; }

    /// <summary>Whether the version is protected against deletion at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> when retention has not expired or a legal hold is on.</returns>
    public bool IsLockedAt(DateTimeOffset now) =>
        LegalHold || (Mode != HdsRetentionMode.None && RetainUntil is { } until && until > now);

    /// <summary>How far a stored retain-until may fall short of the one asked (servers keep whole seconds or milliseconds).</summary>
    internal static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether this lock, read back from a storage site, is at least <paramref name="wanted"/>: the same mode, a retain-until no
    /// earlier (within <see cref="Tolerance"/>), and the legal hold when one is wanted.
    /// </summary>
    internal bool Covers(HdsRetentionInfo wanted) =>
        Mode == wanted.Mode
        && RetainUntil is { } until && until + Tolerance >= wanted.RetainUntil!.Value
        && (LegalHold || !wanted.LegalHold);
}
