using System.Text.RegularExpressions;
using Hds.Storage.Access;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Access;

/// <summary>The operations' table (issue 15): every operation is described once, and the defaults the options expose come from it.</summary>
public sealed partial class OperationDescriptorsTests
{
    [Fact]
    public void Every_operation_has_one_descriptor_with_its_span_name()
    {
        foreach (var operation in Enum.GetValues<HdsOperation>())
        {
            var descriptor = OperationDescriptors.For(operation);
            Assert.Equal(operation, descriptor.Operation);
            // "hds." and the name in snake case: "GetProperties" is "hds.get_properties".
            Assert.Equal("hds." + UpperLetter().Replace(operation.ToString(), "_$0").TrimStart('_').ToLowerInvariant(), descriptor.SpanName);
        }

        Assert.Equal(Enum.GetValues<HdsOperation>(), OperationDescriptors.All.Select(d => d.Operation));
    }

    [Fact]
    public void Bucket_wide_operations_are_the_audit_and_key_ring_ones_and_the_default_rights_come_from_the_table()
    {
        var bucketWide = OperationDescriptors.All.Where(d => d.IsBucketWide).Select(d => d.Operation).ToHashSet();
        Assert.Equal(
            new HashSet<HdsOperation> { HdsOperation.VerifyAudit, HdsOperation.ReadAudit, HdsOperation.ListKeys, HdsOperation.RotateKey, HdsOperation.RevokeKey, HdsOperation.RewrapKeys },
            bucketWide);

        var options = new HdsAuthorizationOptions();
        Assert.Equal(HdsAuthorizationOptions.LegalRole, Assert.Single(options.RequiredRoles[HdsOperation.SetLegalHold]));
        Assert.Equal(HdsAuthorizationOptions.RetentionPurpose, Assert.Single(options.AllowedPurposes[HdsOperation.ExtendRetention]));
        Assert.False(options.RequiredRoles.ContainsKey(HdsOperation.Get));
        Assert.False(options.AllowedPurposes.ContainsKey(HdsOperation.Put));
        Assert.Equal(8, options.RequiredRoles.Count);
        Assert.Equal(8, options.AllowedPurposes.Count);

        // Mutable per options instance, as before: changing one leaves the table and other options alone.
        options.RequiredRoles[HdsOperation.SetLegalHold].Add("counsel");
        Assert.Single(new HdsAuthorizationOptions().RequiredRoles[HdsOperation.SetLegalHold]);
    }

    [GeneratedRegex("[A-Z]")]
    private static partial Regex UpperLetter();
}
