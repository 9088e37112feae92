using System.Collections.Concurrent;

namespace Hds.Storage.AspNetCore;

/// <summary>
/// The nonces of the signed contexts accepted, remembered as long as their signature could still be accepted (twice the maximum
/// age: a timestamp may be that far in the past or the future), so a captured request replayed within that window is refused.
/// Per process: behind a load balancer, a replay sent to another instance is only bounded by the maximum age (docs/security.md).
/// </summary>
internal sealed class NonceCache(TimeProvider time, TimeSpan lifetime)
{
    private const int SweepEvery = 1024;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private int _added;

    /// <summary>Remembers <paramref name="nonce"/> of <paramref name="caller"/>; false when it was already used (a replay).</summary>
    public bool TryUse(string caller, string nonce)
    {
        var now = time.GetUtcNow();
        var key = caller + "\n" + nonce;
        if (_seen.TryGetValue(key, out var expiry) && expiry > now)
        {
            return false;
        }

        if (!_seen.TryAdd(key, now + lifetime) && !_seen.TryUpdate(key, now + lifetime, expiry))
        {
            return false; // another request with the same nonce won the race
        }

        if (Interlocked.Increment(ref _added) % SweepEvery == 0)
        {
            foreach (var (k, until) in _seen)
            {
                if (until <= now)
                {
                    _seen.TryRemove(k, out _);
                }
            }
        }

        return true;
    }
}
