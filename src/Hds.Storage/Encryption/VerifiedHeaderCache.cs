namespace Hds.Storage.Encryption;

/// <summary>
/// The stored header bytes of versions already read by range, so that the next ranged read of the same version is one request
/// (the segments) instead of two (header + segments). Why it is safe: a version's stored bytes never change (object lock), the
/// header is verified again on every use (MAC, key commitment, identity, key not revoked), and the bytes kept are public parts of
/// the object (the data key stays wrapped). A version whose storage reports another length than when it was cached is read the
/// long way again, which finds whatever changed. Bounded: least recently used entries go first.
/// </summary>
internal sealed class VerifiedHeaderCache(int capacity)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Key, string VersionId), LinkedListNode<Entry>> _entries = [];
    private readonly LinkedList<Entry> _recency = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public bool TryGet(string physicalKey, string versionId, out byte[] header, out long storedLength, out StoredVersion version)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue((physicalKey, versionId), out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                (header, storedLength, version) = (node.Value.Header, node.Value.StoredLength, node.Value.Version);
                return true;
            }
        }

        (header, storedLength, version) = ([], 0, default);
        return false;
    }

    /// <summary>Keeps a header whose final segment verified at <paramref name="storedLength"/> (and, in format 2, against <paramref name="version"/>).</summary>
    public void Add(string physicalKey, string versionId, ReadOnlySpan<byte> header, long storedLength, StoredVersion version)
    {
        var entry = new Entry(physicalKey, versionId, header.ToArray(), storedLength, version);
        lock (_lock)
        {
            if (_entries.Remove((physicalKey, versionId), out var existing))
            {
                _recency.Remove(existing);
            }

            _entries[(physicalKey, versionId)] = _recency.AddFirst(entry);
            if (_entries.Count > capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove((oldest.Value.Key, oldest.Value.VersionId));
            }
        }
    }

    public void Remove(string physicalKey, string versionId)
    {
        lock (_lock)
        {
            if (_entries.Remove((physicalKey, versionId), out var node))
            {
                _recency.Remove(node);
            }
        }
    }

    private sealed record Entry(string Key, string VersionId, byte[] Header, long StoredLength, StoredVersion Version);
}
