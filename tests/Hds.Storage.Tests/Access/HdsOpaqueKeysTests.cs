using Hds.Storage.Access;

namespace Hds.Storage.Tests.Access;

public sealed class HdsOpaqueKeysTests
{
    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Derivation_is_stable_scoped_keyed_and_opaque()
    {
        using var keys = new HdsOpaqueKeys(Secret);
        using var other = new HdsOpaqueKeys(Secret.Select(b => (byte)(b ^ 1)).ToArray());
        var a = keys.Derive("patient", "Jeanne Dupont");
        Assert.Equal(a, keys.Derive("patient", "Jeanne Dupont"));
        Assert.NotEqual(a, keys.Derive("request", "Jeanne Dupont"));
        Assert.NotEqual(a, other.Derive("patient", "Jeanne Dupont"));
        Assert.Equal(52, a.Length);
        Assert.All(a, c => Assert.True(char.IsAsciiLetterLower(c) || c is >= '2' and <= '7'));
        Assert.DoesNotContain("dupont", a, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_short_secret_is_refused() =>
        Assert.Throws<HdsConfigurationException>(() => new HdsOpaqueKeys(new byte[16]));
}
