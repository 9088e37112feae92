using Hds.Storage.Retention;
using Microsoft.Extensions.Time.Testing;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Retention;

public sealed class RetentionPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 30, 15, 789, TimeSpan.Zero);

    [Fact]
    public void Default_class_is_twenty_years_compliance_from_the_clock_truncated_to_seconds()
    {
        var policy = new RetentionPolicy(new HdsStorageOptions().RetentionClasses.AsReadOnly(), "default", new FakeTimeProvider(Now));

        var (name, retention) = policy.Resolve(null);

        Assert.Equal("default", name);
        Assert.Equal(HdsRetentionMode.Compliance, retention.Mode);
        Assert.Equal(new DateTimeOffset(2046, 11, 28, 10, 30, 15, TimeSpan.Zero), retention.RetainUntil);
        Assert.False(retention.LegalHold);
    }

    [Fact]
    public void Named_class_is_used_and_unknown_class_is_refused()
    {
        var classes = new Dictionary<string, HdsRetentionClass>
        {
            ["default"] = new(),
            ["invoice"] = new() { Mode = HdsRetentionMode.Governance, Duration = TimeSpan.FromDays(10), LegalHold = true },
        };
        var policy = new RetentionPolicy(classes, "default", new FakeTimeProvider(Now));

        var (_, retention) = policy.Resolve("invoice");
        Assert.Equal(HdsRetentionMode.Governance, retention.Mode);
        Assert.Equal(Now.AddDays(10).AddMilliseconds(-789), retention.RetainUntil);
        Assert.True(retention.LegalHold);

        Assert.Throws<HdsInvalidRequestException>(() => policy.Resolve("nope"));
    }

    [Fact]
    public void Lock_state_accounts_for_expiry_and_legal_hold()
    {
        Assert.True(new HdsRetentionInfo(HdsRetentionMode.Compliance, Now.AddSeconds(1), false).IsLockedAt(Now));
        Assert.False(new HdsRetentionInfo(HdsRetentionMode.Compliance, Now, false).IsLockedAt(Now));
        Assert.True(new HdsRetentionInfo(HdsRetentionMode.None, null, true).IsLockedAt(Now));
        Assert.False(new HdsRetentionInfo(HdsRetentionMode.None, null, false).IsLockedAt(Now));
    }
}
