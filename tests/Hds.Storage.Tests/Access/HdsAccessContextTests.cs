using Hds.Storage.Access;

namespace Hds.Storage.Tests.Access;

public sealed class HdsAccessContextTests
{
    [Fact]
    public void A_valid_context_is_accepted()
    {
        var context = new HdsAccessContext("agent-1", "msa", "care") { Role = "physician", PatientPseudonym = "p:7f3a", CorrelationId = "c-1" };
        Assert.Equal("msa", context.Tenant);
    }

    [Theory]
    [InlineData("", "msa", "care")]
    [InlineData("agent 1", "msa", "care")]
    [InlineData("Jean Dupont", "msa", "care")]
    [InlineData("agent", "", "care")]
    [InlineData("agent", "MSA", "care")]
    [InlineData("agent", "_hds", "care")]
    [InlineData("agent", "-msa", "care")]
    [InlineData("agent", "msa", "")]
    public void Malformed_fields_are_refused(string actor, string tenant, string purpose) =>
        Assert.Throws<HdsInvalidRequestException>(() => new HdsAccessContext(actor, tenant, purpose));

    [Fact]
    public void Init_only_fields_are_validated_too()
    {
        var context = new HdsAccessContext("agent", "msa", "care") with { PatientPseudonym = "DUPONT Jean" };
        var ex = Assert.Throws<HdsInvalidRequestException>(context.Validate);
        Assert.DoesNotContain("DUPONT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Roles_and_allowed_purposes_are_validated_like_every_field_without_echoing_them()
    {
        var context = new HdsAccessContext("agent", "msa", "care");
        HdsAccessContext[] malformed =
        [
            context with { Roles = ["agent", "DUPONT Jean"] },
            context with { Roles = [""] },
            context with { Roles = null! },
            context with { Roles = Enumerable.Range(0, 33).Select(i => "r" + i).ToArray() },
            context with { AllowedPurposes = ["care", "DUPONT\nJean"] },
            context with { AllowedPurposes = Enumerable.Range(0, 33).Select(i => "p" + i).ToArray() },
        ];

        foreach (var bad in malformed)
        {
            var ex = Assert.Throws<HdsInvalidRequestException>(bad.Validate);
            Assert.DoesNotContain("DUPONT", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_roles_held_are_the_roles_listed_and_the_recorded_role()
    {
        var context = new HdsAccessContext("agent", "msa", "care") { Role = "agent", Roles = ["auditor"] };

        Assert.True(context.HasRole("agent"));
        Assert.True(context.HasRole("auditor"));
        Assert.False(context.HasRole("Auditor"));
        Assert.False(context.HasRole("legal"));
    }

    [Fact]
    public async Task Scope_flows_across_awaits_and_is_restored()
    {
        var outer = new HdsAccessContext("a", "msa", "care");
        Assert.Null(HdsAccessScope.Current);
        using (HdsAccessScope.Begin(outer))
        {
            Assert.Same(outer, HdsAccessScope.Current);
            await Task.Run(() => Assert.Same(outer, HdsAccessScope.Current), TestContext.Current.CancellationToken);
        }

        Assert.Null(HdsAccessScope.Current);
    }
}
