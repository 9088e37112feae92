using Hds.Storage.Backends.S3.Sites;

namespace Hds.Storage.Tests.Sites;

/// <summary>The read-your-writes memory's decisions: which served "latest" is older than this client's own write or delete.</summary>
public sealed class WrittenVersionsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_served_version_older_than_the_clients_write_is_replaced_by_that_write()
    {
        var written = new WrittenVersions();
        written.Remember("k", "v2");
        written.Dated("k", "v2", T0);

        Assert.Equal("v2", written.NewerThanServed("k", "v1", T0.AddSeconds(-5)));
        Assert.Null(written.NewerThanServed("k", "v2", T0));               // the write itself
        Assert.Null(written.NewerThanServed("k", "v3", T0.AddSeconds(5)));  // someone wrote after
        Assert.False(written.DeletedAfterServed("k", "v1", T0.AddSeconds(-5)));
    }

    [Fact]
    public void A_served_version_older_than_the_clients_delete_reads_as_deleted()
    {
        var written = new WrittenVersions();
        written.Remember("k", "v1");
        written.RememberDeleted("k", "marker", T0.AddMilliseconds(700));

        Assert.True(written.DeletedAfterServed("k", "v1", T0.AddSeconds(-5)));   // the lagging site's latest, written before
        Assert.False(written.DeletedAfterServed("k", "v9", T0.AddSeconds(3)));    // written after the delete, by anyone
        Assert.False(written.DeletedAfterServed("k", "v9", T0));                  // same second as the delete: counted as newer
        Assert.False(written.DeletedAfterServed("other", "v1", T0.AddSeconds(-5)));
        Assert.Null(written.NewerThanServed("k", "v1", T0.AddSeconds(-5)));       // a delete is never "read that version instead"

        written.Remember("k", "v10");                                             // written again after the delete
        Assert.False(written.DeletedAfterServed("k", "v1", T0.AddSeconds(-5)));
    }
}
