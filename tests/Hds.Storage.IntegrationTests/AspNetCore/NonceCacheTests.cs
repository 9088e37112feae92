using Hds.Storage.AspNetCore;
using Microsoft.Extensions.Time.Testing;

namespace Hds.Storage.IntegrationTests.AspNetCore;

/// <summary>The replay memory of signed contexts: a nonce is single-use for as long as its signature could still be accepted.</summary>
public sealed class NonceCacheTests
{
    [Fact]
    public void A_nonce_is_refused_again_until_its_signature_could_no_longer_be_accepted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var cache = new NonceCache(time, TimeSpan.FromMinutes(10));

        Assert.True(cache.TryUse("front", "nonce-0123456789ab"));
        Assert.False(cache.TryUse("front", "nonce-0123456789ab"));
        Assert.True(cache.TryUse("billing", "nonce-0123456789ab")); // per caller
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.False(cache.TryUse("front", "nonce-0123456789ab"));
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(cache.TryUse("front", "nonce-0123456789ab")); // its timestamp is stale by now: refused on age instead
    }
}
