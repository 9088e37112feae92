namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// Read-your-writes memory (<see cref="S3StorageOptions.ReadYourWrites"/>): the last version this client wrote of each
/// key, for the most recently written <see cref="Capacity"/> keys (least recently written forgotten first: about 200 bytes a key,
/// so at most a few MB). A read of "latest" served older than that version comes from a site replication has not reached yet:
/// the S3 backend then reads the remembered version instead (looked for on every site within the lag bound), never the older one.
/// The version's date (LastModified, replicated unchanged) is learnt from the write's own lock check, which reads it back.
/// </summary>
internal sealed class WrittenVersions
{
    public const int Capacity = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _byKey = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _order = new(); // most recently written first

    public void Remember(string key, string versionId)
    {
        lock (_lock)
        {
            if (_byKey.Remove(key, out var old))
            {
                _order.Remove(old);
            }

            _byKey[key] = _order.AddFirst(new Entry(key, versionId));
            if (_order.Count > Capacity)
            {
                _byKey.Remove(_order.Last!.Value.Key);
                _order.RemoveLast();
            }
        }
    }

    /// <summary>Records the date of a version read by id when it is the one remembered for the key.</summary>
    public void Dated(string key, string versionId, DateTimeOffset lastModified)
    {
        lock (_lock)
        {
            if (_byKey.TryGetValue(key, out var node) && node.Value.VersionId == versionId)
            {
                node.Value.LastModified = lastModified;
            }
        }
    }

    /// <summary>
    /// The version this client wrote of <paramref name="key"/> when the served "latest" is older than it (or its date is not known
    /// yet and the served version is another one); null when the served version is that one, a newer one, or nothing is remembered.
    /// </summary>
    public string? NewerThanServed(string key, string servedVersionId, DateTimeOffset servedLastModified)
    {
        lock (_lock)
        {
            if (!_byKey.TryGetValue(key, out var node) || node.Value.VersionId == servedVersionId)
            {
                return null;
            }

            return node.Value.LastModified is { } mine && servedLastModified >= mine ? null : node.Value.VersionId;
        }
    }

    private sealed class Entry(string key, string versionId)
    {
        public string Key => key;

        public string VersionId => versionId;

        public DateTimeOffset? LastModified { get; set; }
    }
}
