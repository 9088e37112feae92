using System.Text.Json;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// Rights per operation through the CLI, on every backend: an operator's flags give an actor a purpose, but the sensitive
/// operations also need the role that grants them (docs/security.md, "Rights model"). Each attack is what an ordinary agent
/// would type; each is refused (exit 3, or exit 1 for a retention beyond the horizon), changes nothing and leaves a record.
/// </summary>
public abstract partial class CliContractTests<TBackend>
{
    /// <summary>An ordinary agent of the tenant, without any sensitive role.</summary>
    private static string[] Agent(string purpose) => ["--actor", "agent-4711", "--tenant", Tenant, "--purpose", purpose, "--role", "agent"];

    [Fact]
    public async Task An_agent_declaring_the_audit_purpose_cannot_read_or_verify_the_trail()
    {
        await PutAsync(Prefix + "audited-agent", RandomBytes(10));

        var tail = await HdsAs(Agent("audit"), "audit", "tail", "--n", "5");
        var verify = await HdsAs(Agent("audit"), "audit", "verify");

        AssertError(3, "AccessDenied", tail);
        Assert.Empty(tail.Stdout);
        Assert.Contains("missing-role-auditor", tail.Stderr, StringComparison.Ordinal);
        AssertError(3, "AccessDenied", verify);
        var records = await TailAsync(Context, 50);
        Assert.Contains(records, r => Is(r, "ReadAudit", "Denied", "missing-role-auditor") && r.GetProperty("actorId").GetString() == "agent-4711");
        Assert.Contains(records, r => Is(r, "VerifyAudit", "Denied", "missing-role-auditor"));
    }

    [Fact]
    public async Task Key_management_needs_the_key_admin_role_and_the_operating_tenant()
    {
        var written = await PutAsync(Prefix + "keys-rights", RandomBytes(10));
        var keyId = written.GetProperty("keyId").GetString()!;
        var before = await Raw(["keys", "list", .. Backend.BackendArgs, .. KeyManagement]);
        AssertExit(0, before);

        // The purpose alone (what the header gave before) and a key-admin of a client tenant: neither reaches the bucket-wide key ring.
        var agentRotate = await HdsAs(Agent("key-management"), "keys", "rotate");
        var agentRevoke = await HdsAs(Agent("key-management"), "keys", "revoke", keyId);
        string[] tenantAdmin = ["--actor", "officer-99", "--tenant", Tenant, "--purpose", "key-management", "--role", "key-admin"];
        var tenantRevoke = await HdsAs(tenantAdmin, "keys", "revoke", keyId);
        var tenantRotate = await HdsAs(tenantAdmin, "keys", "rotate");

        AssertError(3, "AccessDenied", agentRotate);
        Assert.Contains("missing-role-key-admin", agentRotate.Stderr, StringComparison.Ordinal);
        AssertError(3, "AccessDenied", agentRevoke);
        AssertError(3, "AccessDenied", tenantRevoke);
        Assert.Contains("not-operating-tenant", tenantRevoke.Stderr, StringComparison.Ordinal);
        AssertError(3, "AccessDenied", tenantRotate);
        Assert.Equal(before.StdoutText, (await Raw(["keys", "list", .. Backend.BackendArgs, .. KeyManagement])).StdoutText); // nothing rotated or revoked
        AssertExit(0, await Hds("verify", Prefix + "keys-rights")); // still readable: its key was not revoked
        var records = await TailAsync(Context, 50);
        Assert.Contains(records, r => Is(r, "RevokeKey", "Denied", "not-operating-tenant") && r.GetProperty("keyId").GetString() == keyId);
        Assert.Contains(records, r => Is(r, "RotateKey", "Denied", "missing-role-key-admin"));
    }

    [Fact]
    public async Task An_agent_cannot_release_or_set_a_legal_hold_whatever_the_purpose_declared()
    {
        var key = Prefix + "held-rights";
        var version = (await PutAsync(key, RandomBytes(10))).GetProperty("versionId").GetString()!;
        AssertExit(0, await HdsAs(LegalHold, "legal-hold", key, "on"));

        var releaseAsAgent = await HdsAs(Agent("claim-processing"), "legal-hold", key, "off");
        var releaseWithPurpose = await HdsAs(Agent("legal-hold"), "legal-hold", key, "off");
        var setAsAgent = await HdsAs(Agent("legal-hold"), "legal-hold", Prefix + "other", "on");

        AssertError(3, "AccessDenied", releaseAsAgent);
        AssertError(3, "AccessDenied", releaseWithPurpose);
        Assert.Contains("missing-role-legal", releaseWithPurpose.Stderr, StringComparison.Ordinal);
        AssertError(3, "AccessDenied", setAsAgent);
        Assert.True((await Hds("head", key)).Json().GetProperty("retention").GetProperty("legalHold").GetBoolean()); // still held
        var records = await TailAsync(Context, 50);
        Assert.Contains(records, r => Is(r, "SetLegalHold", "Denied", "purpose-not-allowed") && r.GetProperty("key").GetString() == key);
        Assert.Contains(records, r => Is(r, "SetLegalHold", "Denied", "missing-role-legal") && r.GetProperty("key").GetString() == key);
        Assert.Contains(records, r => Is(r, "SetLegalHold", "Succeeded", null) && r.GetProperty("versionId").GetString() == version
            && r.GetProperty("role").GetString() == "legal");
    }

    [Fact]
    public async Task A_retention_beyond_the_horizon_exits_1_whatever_the_role_and_an_agent_cannot_extend()
    {
        var key = Prefix + "horizon";
        var receipt = await PutAsync(key, RandomBytes(10), "--class", "short");
        var until = receipt.GetProperty("retainUntil").GetDateTimeOffset();
        var later = DateTimeOffset.UtcNow.AddDays(30).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var forever = await HdsAs(RetentionExtension, "retention", "extend", key, "--until", "9999-12-31");
        var foreverAsAgent = await HdsAs(Agent("retention"), "retention", "extend", key, "--until", "9999-12-31");
        var extendAsAgent = await HdsAs(Agent("retention"), "retention", "extend", key, "--until", later);

        AssertError(1, "InvalidRequest", forever);
        Assert.Contains("horizon", forever.Stderr, StringComparison.Ordinal);
        AssertError(1, "InvalidRequest", foreverAsAgent);
        AssertError(3, "AccessDenied", extendAsAgent);
        Assert.Contains("missing-role-legal", extendAsAgent.Stderr, StringComparison.Ordinal);
        var after = (await Hds("head", key)).Json().GetProperty("retention").GetProperty("retainUntil").GetDateTimeOffset();
        Assert.InRange(after, until.AddSeconds(-1), until.AddSeconds(1)); // unchanged
        var records = await TailAsync(Context, 50);
        Assert.Equal(2, records.Count(r => Is(r, "ExtendRetention", "Failed", "retain-until-beyond-horizon") && r.GetProperty("key").GetString() == key));
        Assert.Contains(records, r => Is(r, "ExtendRetention", "Denied", "missing-role-legal") && r.GetProperty("key").GetString() == key);
    }

    private static bool Is(JsonElement record, string op, string outcome, string? reason) =>
        record.GetProperty("operation").GetString() == op && record.GetProperty("outcome").GetString() == outcome
        && (reason is null ? !record.TryGetProperty("reason", out _) : record.TryGetProperty("reason", out var r) && r.GetString() == reason);

    private async Task<List<JsonElement>> TailAsync(string[] context, int count)
    {
        var tail = await HdsAs(context, "audit", "tail", "--n", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        AssertExit(0, tail);
        return tail.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
    }
}
