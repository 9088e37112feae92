namespace Hds.Storage.Retention;

/// <summary>The object lock state of one version, as read back from the storage.</summary>
/// <param name="Mode">The retention mode; <see cref="RetentionMode.None"/> when the version is not locked.</param>
/// <param name="RetainUntil">The end of the retention, when there is one.</param>
/// <param name="LegalHold">Whether a legal hold is on.</param>
public sealed record RetentionInfo(RetentionMode Mode, DateTimeOffset? RetainUntil, bool LegalHold)
{
    /// <summary>Whether the version is protected against deletion at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <returns><see langword="true"/> when retention has not expired or a legal hold is on.</returns>
    public bool IsLockedAt(DateTimeOffset now) =>
        LegalHold || (Mode != RetentionMode.None && RetainUntil is { } until && until > now);
}
