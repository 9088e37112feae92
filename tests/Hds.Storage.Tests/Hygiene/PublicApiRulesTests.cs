namespace Hds.Storage.Tests.Hygiene;

/// <summary>
/// One naming rule for the 1.0 public API (issue 15): every public type of the core package starts with <c>Hds</c>, as Azure's
/// blob types carry <c>Blob</c>, so an application that also imports ASP.NET Core (<c>AuthorizationOptions</c>), Azure
/// (<c>RequestOptions</c>) or AWSSDK types never meets an ambiguous name. The DI extension classes live in
/// <c>Microsoft.Extensions.*</c> namespaces by convention and are named after what they extend. Records are built with
/// initializers, never positionally, so that adding a property is not a breaking change.
/// </summary>
public sealed class PublicApiRulesTests
{
    [Fact]
    public void Every_public_type_of_the_core_package_starts_with_Hds()
    {
        var exported = typeof(HdsStorageClient).Assembly.GetExportedTypes();
        Assert.True(exported.Length >= 60, $"{exported.Length} exported types found");

        var misnamed = exported
            .Where(t => !(t.IsAbstract && t.IsSealed && t.Namespace?.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) == true))
            .Where(t => !t.Name.StartsWith("Hds", StringComparison.Ordinal))
            .Select(t => t.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(misnamed.Count == 0, "public types without the Hds prefix: " + string.Join(", ", misnamed));
    }

    [Fact]
    public void Public_types_are_in_the_two_core_namespaces()
    {
        var namespaces = typeof(HdsStorageClient).Assembly.GetExportedTypes()
            .Select(t => t.Namespace!)
            .Where(n => !n.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        Assert.Equal(["Hds.Storage", "Hds.Storage.Models"], namespaces.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void No_public_record_is_positional()
    {
        var positional = typeof(HdsStorageClient).Assembly.GetExportedTypes()
            .Where(t => t.GetMethod("Deconstruct") is not null)
            .Select(t => t.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(positional.Count == 0, "public types with a Deconstruct (positional records): " + string.Join(", ", positional));
    }

    [Fact]
    public void A_version_is_named_in_the_options_never_as_an_argument()
    {
        var verbs = typeof(HdsStorageClient).GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.DeclaredOnly)
            .Where(m => m.Name.EndsWith("Async", StringComparison.Ordinal))
            .ToList();
        Assert.True(verbs.Count >= 18, $"{verbs.Count} verbs found");

        Assert.Empty(verbs.Where(m => m.GetParameters().Any(p => p.Name == "versionId")).Select(m => m.Name));
        Assert.All(
            verbs.Where(m => m.Name is "GetAsync" or "VerifyAsync" or "GetPropertiesAsync" or "SetLegalHoldAsync" or "ExtendRetentionAsync"),
            m => Assert.Contains(m.GetParameters(), p => typeof(HdsVersionOptions).IsAssignableFrom(p.ParameterType)));
    }
}
