using Hds.Storage.Access;
using Hds.Storage.Models;

namespace Hds.Storage.Retention;

/// <summary>Computes the retention of a new version from its class and the clock.</summary>
internal sealed class RetentionPolicy
{
    private readonly IReadOnlyDictionary<string, HdsRetentionClass> _classes;
    private readonly string _defaultClass;
    private readonly TimeProvider _time;
    private readonly TimeSpan _horizon;

    public RetentionPolicy(IReadOnlyDictionary<string, HdsRetentionClass> classes, string defaultClass, TimeProvider time, TimeSpan? horizon = null)
    {
        _classes = classes;
        _defaultClass = defaultClass;
        _time = time;
        _horizon = horizon ?? new HdsAuthorizationOptions().RetentionHorizon;
    }

    /// <summary>
    /// Refuses a requested retain-until date beyond the horizon (<see cref="HdsAuthorizationOptions.RetentionHorizon"/>): COMPLIANCE
    /// cannot be shortened by anyone, so a date such as 9999-12-31 would block forever an erasure the law may one day require.
    /// </summary>
    /// <exception cref="HdsInvalidRequestException">The date is beyond the horizon.</exception>
    public void CheckWithinHorizon(DateTimeOffset retainUntil)
    {
        var now = _time.GetUtcNow();
        if (retainUntil > now + _horizon)
        {
            throw new HdsInvalidRequestException(
                $"The retain-until date is beyond the retention horizon ({_horizon.TotalDays:0} days from now, Authorization.RetentionHorizon): "
                + "a COMPLIANCE retention cannot be shortened, so it is refused whatever the role.");
        }
    }

    public (string Name, HdsRetentionInfo Retention) Resolve(string? className)
    {
        var name = string.IsNullOrEmpty(className) ? _defaultClass : className;
        if (!_classes.TryGetValue(name, out var cls))
        {
            throw new HdsInvalidRequestException(
                $"Unknown retention class (caller input is not echoed: it could carry anything). Configure it in RetentionClasses (configuration HdsStorage:RetentionClasses) or use one of: {string.Join(", ", _classes.Keys)}.");
        }

        // S3 and StorageGRID keep retain-until to the millisecond at best; truncate to whole seconds so what we send is what we read back.
        var now = _time.GetUtcNow();
        var until = now.Add(cls.Duration);
        until = new DateTimeOffset(until.Ticks - (until.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        return (name, new HdsRetentionInfo(cls.Mode, until, cls.LegalHold));
    }
}
