using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Tests.TestSupport;
using static Hds.Storage.Tests.TestSupport.TestCertificates;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Access;

/// <summary>
/// The rights model (docs/security.md, "Rights model") through the library, on the embedded store: a purpose the caller declares
/// is not enough for the sensitive operations, which need the identity's role; the key ring is reached only from the operating
/// tenant; a retention beyond the horizon is refused whatever the role; a policy sees the operation's arguments.
/// </summary>
public sealed class RightsTests : IDisposable
{
    private static readonly HdsAccessContext Agent = new("agent-4711", "tenant-a", "claim-processing") { Role = "agent" };
    private static readonly HdsAccessContext Legal = new("legal-1", "tenant-a", HdsAuthorizationOptions.LegalHoldPurpose) { Role = "legal" };
    private readonly TestStore _store = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    public static TheoryData<string, string, string, string> Denials => new()
    {
        // operation, purpose declared, roles held (comma-separated), expected reason
        { "ReadAudit", "audit", "agent", "missing-role-auditor" },
        { "VerifyAudit", "audit", "agent", "missing-role-auditor" },
        { "ReadAudit", "claim-processing", "auditor", "purpose-not-allowed" },
        { "RotateKey", "key-management", "agent", "missing-role-key-admin" },
        { "RevokeKey", "key-management", "agent,auditor", "missing-role-key-admin" },
        { "SetLegalHoldOff", "legal-hold", "agent", "missing-role-legal" },
        { "SetLegalHoldOn", "legal-hold", "agent", "missing-role-legal" },
        { "SetLegalHoldOff", "claim-processing", "legal", "purpose-not-allowed" },
        { "ExtendRetention", "retention", "agent", "missing-role-legal" },
        { "ExtendRetention", "legal-hold", "legal", "purpose-not-allowed" },
    };

    [Theory]
    [MemberData(nameof(Denials))]
    public async Task A_declared_purpose_without_the_role_is_denied_recorded_and_changes_nothing(string operation, string purpose, string roles, string reason)
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var receipt = await client.PutAsync("doc", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Agent }, Ct);
        await client.SetLegalHoldAsync("doc", true, new HdsVersionOptions { VersionId = receipt.VersionId, Context = Legal }, Ct);
        var attacker = new HdsAccessContext("agent-4711", "tenant-a", purpose) { Roles = roles.Split(',') };
        var o = new HdsRequestOptions { Context = attacker };
        var before = await client.GetPropertiesAsync("doc", new HdsVersionOptions { VersionId = receipt.VersionId, Context = Agent }, Ct);

        var error = await Assert.ThrowsAsync<HdsAccessDeniedException>(() => operation switch
        {
            "ReadAudit" => client.GetRecentAuditRecordsAsync(5, o, Ct),
            "VerifyAudit" => client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = attacker }, Ct),
            "RotateKey" => client.RotateKeyAsync(o, Ct),
            "RevokeKey" => client.RevokeKeyAsync(receipt.KeyId!, o, Ct),
            "SetLegalHoldOff" => client.SetLegalHoldAsync("doc", false, new HdsVersionOptions { VersionId = receipt.VersionId, Context = o.Context }, Ct),
            "SetLegalHoldOn" => client.SetLegalHoldAsync("doc", true, new HdsVersionOptions { VersionId = receipt.VersionId, Context = o.Context }, Ct),
            "ExtendRetention" => client.ExtendRetentionAsync("doc", receipt.RetainUntil.AddDays(1), new HdsVersionOptions { VersionId = receipt.VersionId, Context = o.Context }, Ct),
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        });

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        var after = await client.GetPropertiesAsync("doc", new HdsVersionOptions { VersionId = receipt.VersionId, Context = Agent }, Ct);
        Assert.Equal(before.Retention, after.Retention); // still held, retention unchanged
        Assert.Single(await client.ListKeysAsync(TestStore.Keys(), Ct)); // nothing rotated
        Assert.False(Assert.Single(await client.ListKeysAsync(TestStore.Keys(), Ct)).IsRevoked);
        var records = await client.GetRecentAuditRecordsAsync(50, TestStore.Auditor(), Ct);
        Assert.Contains(records, r => r.Outcome == HdsAuditOutcome.Denied && r.Reason == reason && r.ActorId == "agent-4711" && r.Purpose == purpose);
    }

    [Fact]
    public async Task The_key_ring_is_refused_to_a_key_admin_of_any_tenant_but_the_operating_one()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var receipt = await client.PutAsync("doc", new MemoryStream([1]), new HdsPutOptions { Context = Agent }, Ct);
        var tenantAdmin = new HdsAccessContext("officer-9", "tenant-a", HdsAuthorizationOptions.KeyManagementPurpose) { Role = HdsAuthorizationOptions.KeyAdminRole };

        var revoke = await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.RevokeKeyAsync(receipt.KeyId!, new HdsRequestOptions { Context = tenantAdmin }, Ct));
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.RotateKeyAsync(new HdsRequestOptions { Context = tenantAdmin }, Ct));

        Assert.Contains("not-operating-tenant", revoke.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(await client.ListKeysAsync(TestStore.Keys(), Ct)).IsRevoked);
        var records = await client.GetRecentAuditRecordsAsync(20, TestStore.Auditor(), Ct);
        Assert.Contains(records, r => r.Operation == HdsOperation.RevokeKey && r.Reason == "not-operating-tenant" && r.KeyId == receipt.KeyId);
    }

    [Fact]
    public async Task The_operating_tenant_and_role_names_are_configurable()
    {
        var options = _store.Options(Operational, PublicOnly(Escrow));
        options.Authorization.OperatingTenant = "ops";
        options.Authorization.RequiredRoles[HdsOperation.ReadAudit] = new HashSet<string>(StringComparer.Ordinal) { "dpo" };
        await using var client = new HdsStorageClient(options, _store.Time, null);
        var dpo = new HdsAccessContext("dpo-1", "tenant-a", "audit") { Roles = ["agent", "dpo"] };
        await client.PutAsync("doc", new MemoryStream([1]), new HdsPutOptions { Context = Agent }, Ct); // creates the first key

        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.ListKeysAsync(TestStore.Keys(), Ct)); // "operator" is no longer the operating tenant
        Assert.Single(await client.ListKeysAsync(new HdsRequestOptions { Context = TestStore.Keys().Context! with { Tenant = "ops" } }, Ct));
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.GetRecentAuditRecordsAsync(5, TestStore.Auditor(), Ct)); // "auditor" no longer grants it
        var records = await client.GetRecentAuditRecordsAsync(5, new HdsRequestOptions { Context = dpo }, Ct);
        Assert.NotEmpty(records);

        // The record names the role that granted the operation, not the first role held.
        var again = await client.GetRecentAuditRecordsAsync(5, new HdsRequestOptions { Context = dpo }, Ct);
        Assert.Equal("dpo", again.Last(r => r.Operation == HdsOperation.ReadAudit && r.Outcome == HdsAuditOutcome.Succeeded).Role);
    }

    [Fact]
    public async Task A_purpose_the_identity_was_not_given_is_denied_whatever_the_roles()
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var claimed = new HdsAccessContext("auditor-1", "tenant-a", "audit") { Roles = ["auditor"], AllowedPurposes = ["claim-processing"] };

        var error = await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.GetRecentAuditRecordsAsync(5, new HdsRequestOptions { Context = claimed }, Ct));

        Assert.Contains("purpose-not-granted", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retain_until_beyond_the_horizon_is_an_invalid_request_whatever_the_role_and_changes_nothing()
    {
        var options = _store.Options(Operational, PublicOnly(Escrow));
        await using var client = new HdsStorageClient(options, _store.Time, null);
        var receipt = await client.PutAsync("doc", new MemoryStream([1]), new HdsPutOptions { Context = Agent }, Ct);
        var retention = new HdsRequestOptions { Context = Legal with { Purpose = HdsAuthorizationOptions.RetentionPurpose } };
        var now = _store.Time.GetUtcNow();

        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => client.ExtendRetentionAsync("doc", new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero), new HdsVersionOptions { Context = retention.Context }, Ct));
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => client.ExtendRetentionAsync("doc", now.AddDays(36525).AddMinutes(1), new HdsVersionOptions { Context = retention.Context }, Ct));
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => client.ExtendRetentionAsync("doc", now.AddYears(200), new HdsVersionOptions { Context = Agent }, Ct));
        Assert.Equal(receipt.RetainUntil, (await client.GetPropertiesAsync("doc", new HdsVersionOptions { Context = Agent }, Ct)).Retention.RetainUntil);

        // The horizon moves with the clock (TimeProvider): the same date becomes acceptable later.
        var date = now.AddDays(36525).AddDays(1);
        _store.Time.Advance(TimeSpan.FromDays(2));
        var extended = await client.ExtendRetentionAsync("doc", date, new HdsVersionOptions { Context = retention.Context }, Ct);
        Assert.Equal(date.ToUnixTimeSeconds(), extended.Retention.RetainUntil!.Value.ToUnixTimeSeconds());
        var records = await client.GetRecentAuditRecordsAsync(20, TestStore.Auditor(), Ct);
        Assert.Equal(3, records.Count(r => r.Operation == HdsOperation.ExtendRetention && r.Reason == "retain-until-beyond-horizon"));
    }

    [Fact]
    public async Task A_policy_sees_the_operations_arguments_and_can_refuse_releasing_a_hold_but_not_setting_it()
    {
        var options = _store.Options(Operational, PublicOnly(Escrow));
        var policy = new NoReleasePolicy(options.Authorization);
        options.Authorization.Policy = policy;
        await using var client = new HdsStorageClient(options, _store.Time, null);
        var receipt = await client.PutAsync("docs/a", new MemoryStream([1]), new HdsPutOptions { Context = Agent }, Ct);
        var legal = new HdsRequestOptions { Context = Legal };
        var until = receipt.RetainUntil.AddDays(3);

        await client.SetLegalHoldAsync("docs/a", true, new HdsVersionOptions { VersionId = receipt.VersionId, Context = legal.Context }, Ct);
        var release = await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.SetLegalHoldAsync("docs/a", false, new HdsVersionOptions { VersionId = receipt.VersionId, Context = legal.Context }, Ct));
        await client.ExtendRetentionAsync("docs/a", until, new HdsVersionOptions { VersionId = receipt.VersionId, Context = Legal with { Purpose = "retention" } }, Ct);
        await client.ListAsync("docs/", new HdsListOptions { Context = Agent }, Ct).ToListAsync(Ct);
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.RevokeKeyAsync(receipt.KeyId!, new HdsRequestOptions { Context = Agent }, Ct));

        Assert.Contains("release-needs-two-people", release.Message, StringComparison.Ordinal);
        var seen = policy.Seen;
        Assert.Contains(seen, r => r.Operation == HdsOperation.SetLegalHold && r.LegalHold == true && r.VersionId == receipt.VersionId && r.Key == "docs/a");
        Assert.Contains(seen, r => r.Operation == HdsOperation.SetLegalHold && r.LegalHold == false);
        Assert.Contains(seen, r => r.Operation == HdsOperation.ExtendRetention && r.RetainUntil == until);
        Assert.Contains(seen, r => r.Operation == HdsOperation.List && r.Prefix == "docs/");
        Assert.Contains(seen, r => r.Operation == HdsOperation.RevokeKey && r.KeyId == receipt.KeyId);
        Assert.True((await client.GetPropertiesAsync("docs/a", new HdsVersionOptions { VersionId = receipt.VersionId, Context = Agent }, Ct)).Retention.LegalHold);
    }

    private sealed class NoReleasePolicy(HdsAuthorizationOptions options) : HdsDefaultAuthorizationPolicy(options)
    {
        public List<HdsAuthorizationRequest> Seen { get; } = [];

        public override async ValueTask<HdsAuthorizationDecision> AuthorizeAsync(HdsAuthorizationRequest request, CancellationToken cancellationToken)
        {
            lock (Seen)
            {
                Seen.Add(request);
            }

            var decision = await base.AuthorizeAsync(request, cancellationToken);
            return decision.IsAllowed && request.LegalHold == false ? HdsAuthorizationDecision.Deny("release-needs-two-people") : decision;
        }
    }
}
