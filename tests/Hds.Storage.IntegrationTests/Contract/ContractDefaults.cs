using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Contract;

internal static class ContractDefaults
{
    /// <summary>A class whose retention expires within seconds, for the tests that need an expired lock.</summary>
    public const string ShortClass = "short";

    public static void Apply(HdsStorageOptions options)
    {
        options.RetentionClasses[ShortClass] = new HdsRetentionClass { Mode = HdsRetentionMode.Compliance, Duration = TimeSpan.FromSeconds(2) };
        TestCertificates.Apply(options);
    }
}
