using System.Text.Json;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

/// <summary>Audit records and problems returned from a web API (System.Text.Json defaults) read like <c>hds audit tail</c>: names, not numbers.</summary>
public sealed class AuditJsonTests
{
    [Fact]
    public void Records_and_problems_serialize_their_enums_by_name_with_web_defaults()
    {
        var record = new HdsAuditRecord { Time = DateTimeOffset.UnixEpoch, Operation = HdsOperation.Put, Outcome = HdsAuditOutcome.Denied };
        var problem = new HdsAuditProblem(HdsAuditProblemKind.ChainBroken, "n1", 3, "hash chain broken");

        var recordJson = JsonSerializer.Serialize(record, JsonSerializerOptions.Web);
        var problemJson = JsonSerializer.Serialize(problem, JsonSerializerOptions.Web);

        Assert.Contains("\"operation\":\"Put\"", recordJson, StringComparison.Ordinal);
        Assert.Contains("\"outcome\":\"Denied\"", recordJson, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"ChainBroken\"", problemJson, StringComparison.Ordinal);
        Assert.Equal(HdsOperation.Put, JsonSerializer.Deserialize<HdsAuditRecord>(recordJson, JsonSerializerOptions.Web)!.Operation);
    }
}
