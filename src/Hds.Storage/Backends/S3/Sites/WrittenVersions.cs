namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// Read-your-writes memory (<see cref="HdsS3StorageOptions.ReadYourWrites"/>): the last version (or delete marker) this client
/// wrote of each key, for the most recently written <see cref="Capacity"/> keys (least recently written forgotten first: about 200 bytes a key,
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

    public void Remember(string key, string versionId) => Remember(new Entry(key, versionId));

    /// <summary>
    /// Remembers this client's delete of <paramref name="key"/>: its delete marker, dated by the second the delete was sent (S3
    /// dates versions to the second; a version another client writes later in that same second counts as newer).
    /// </summary>
    public void RememberDeleted(string key, string markerVersionId, DateTimeOffset sentAt) =>
        Remember(new Entry(key, markerVersionId)
        {
            IsDeleteMarker = true,
            LastModified = new DateTimeOffset(sentAt.UtcTicks - (sentAt.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero),
        });

    /// <summary>
    /// Whether this client deleted <paramref name="key"/> after the served "latest" was written: the serving site has not
    /// received the delete yet, so the key reads as deleted (not found), never as the older version.
    /// </summary>
    public bool DeletedAfterServed(string key, string servedVersionId, DateTimeOffset servedLastModified)
    {
        lock (_lock)
        {
            return _byKey.TryGetValue(key, out var node) && node.Value.IsDeleteMarker && node.Value.VersionId != servedVersionId
                && servedLastModified < node.Value.LastModified;
        }
    }

    private void Remember(Entry entry)
    {
        var key = entry.Key;
        lock (_lock)
        {
            if (_byKey.Remove(key, out var old))
            {
                _order.Remove(old);
            }

            _byKey[key] = _order.AddFirst(entry);
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
            if (!_byKey.TryGetValue(key, out var node) || node.Value.VersionId == servedVersionId || node.Value.IsDeleteMarker)
            {
                return null; // a delete: DeletedAfterServed
            }

            return node.Value.LastModified is { } mine && servedLastModified >= mine ? null : node.Value.VersionId;
        }
    }

    private sealed class Entry(string key, string versionId)
    {
        public string Key => key;

        public string VersionId => versionId;

        public DateTimeOffset? LastModified { get; set; }

        public bool IsDeleteMarker { get; init; }
    }
}
