using Hds.Storage.Objects;

namespace Hds.Storage.Tests.Objects;

public sealed class ObjectKeysTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("requests/2026/0b5e/form.pdf")]
    [InlineData("dossier-été/scan 1.pdf")]
    [InlineData("a.b/c..d/e")]
    public void Valid_keys_are_accepted(string key) => ObjectKeys.Validate(key);

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("x/..")]
    [InlineData("x/./y")]
    [InlineData("/x")]
    [InlineData("x/")]
    [InlineData("x//y")]
    [InlineData("x\\y")]
    [InlineData("x\ny")]
    [InlineData("x\u0000y")]
    [InlineData("x\u007fy")]
    [InlineData("_hds/keys/k1")]
    [InlineData("_HDS/audit")]
    [InlineData("_hds")]
    [InlineData("e\u0301")] // not NFC
    public void Invalid_keys_are_refused_with_a_typed_error(string key) =>
        Assert.Throws<HdsInvalidRequestException>(() => ObjectKeys.Validate(key));

    [Fact]
    public void Keys_are_limited_in_utf8_bytes_not_characters()
    {
        ObjectKeys.Validate(new string('é', 450)); // 900 bytes
        Assert.Throws<HdsInvalidRequestException>(() => ObjectKeys.Validate(new string('é', 451)));
    }

    [Fact]
    public void Error_messages_do_not_echo_the_key()
    {
        var ex = Assert.Throws<HdsInvalidRequestException>(() => ObjectKeys.Validate("patient-DUPONT-Jean/../x"));
        Assert.DoesNotContain("DUPONT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Physical_keys_carry_the_tenant_and_map_back()
    {
        var physical = ObjectKeys.ToPhysical("msa", "a/b.pdf");
        Assert.Equal("msa/a/b.pdf", physical);
        Assert.Equal("a/b.pdf", ObjectKeys.ToLogical("msa", physical));
    }
}
