using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Access;
using Hds.Storage.Audit.Search;

namespace Hds.Storage.Audit;

/// <summary>
/// Verifies the stored audit trail from its whole history, node by node, with no need for any writer's spool: every version and
/// delete marker under the audit prefix is listed (S3 ListObjectVersions), so a delete marker (a hidden segment or checkpoint) or a
/// second version of a key (a rewritten one) is reported, and the chain is verified on each key's original version. Within a node:
/// every segment's records are canonical and match their hashes, sequences run from 1 without gap, repetition or reordering, each
/// record links to its predecessor's hash (across segments too), segment names match their records, every checkpoint is signed by a
/// trusted certificate, matches the record it names and links to the previous checkpoint, nothing attested is missing, the node is
/// enrolled (its first checkpoint, vouching for its first records, is signed by a trusted certificate) and every segment stored
/// longer ago than the grace period is covered by a signed checkpoint.
/// A time window restricts the segments checked; the segment before the window anchors its first link.
/// </summary>
internal sealed class AuditLogVerifier(AuditStore store, IReadOnlyList<X509Certificate2> trusted, TimeSpan checkpointGrace, TimeProvider time)
{
    /// <summary>The same verifier, its reads run for <paramref name="operation"/> (the verification or search that asked).</summary>
    public AuditLogVerifier For(OperationContext? operation) => new(store.For(operation), trusted, checkpointGrace, time);

    public Task<HdsAuditVerificationResult> VerifyAsync(
        DateTimeOffset? from, DateTimeOffset? to, AuditSpool? localSpool, CancellationToken cancellationToken) =>
        VerifyAsync(from, to, localSpool, null, cancellationToken);

    /// <summary>
    /// Verifies the window and, with a search's <paramref name="progress"/>, hands it the records of each segment that verified (of
    /// enrolled nodes only) and what was read: the search reads exactly what verification reads, nothing more.
    /// </summary>
    public async Task<HdsAuditVerificationResult> VerifyAsync(
        DateTimeOffset? from, DateTimeOffset? to, AuditSpool? localSpool, AuditSearchProgress? progress, CancellationToken cancellationToken)
    {
        var problems = new List<HdsAuditProblem>();
        var byNode = await ListNodesAsync(problems, cancellationToken).ConfigureAwait(false);
        if (localSpool is not null && !byNode.ContainsKey(localSpool.Node) && localSpool.State.UploadedSequence > 0)
        {
            byNode[localSpool.Node] = ([], []);
        }

        long records = 0;
        var segments = 0;
        var checkpoints = 0;
        foreach (var (node, lists) in byNode)
        {
            var result = await VerifyNodeAsync(node, lists.Segments, lists.Checkpoints, from, to, localSpool?.Node == node ? localSpool.State : null, problems, progress, cancellationToken)
                .ConfigureAwait(false);
            records += result.Records;
            segments += result.Segments;
            checkpoints += result.Checkpoints;
        }

        return new HdsAuditVerificationResult
        {
            Nodes = byNode.Keys.ToList(),
            RecordsVerified = records,
            SegmentsVerified = segments,
            CheckpointsVerified = checkpoints,
            Problems = problems,
        };
    }

    /// <summary>
    /// The most recent records of every enrolled node (the original version of every stored segment, hidden ones included, then this
    /// node's pending spool), oldest first. Records of a node that no trusted checkpoint vouches for are left out: nobody enrolled it.
    /// </summary>
    public async Task<IReadOnlyList<HdsAuditRecord>> ReadRecentAsync(int count, Func<HdsAuditRecord, bool> filter, AuditSpool? localSpool, CancellationToken cancellationToken)
    {
        var all = new List<HdsAuditRecord>();
        if (localSpool is not null)
        {
            all.AddRange(localSpool.Pending().Select(p => p.Record).Where(filter));
        }

        var byNode = await ListNodesAsync(null, cancellationToken).ConfigureAwait(false);
        foreach (var (node, lists) in byNode)
        {
            if (node != localSpool?.Node && !await IsEnrolledAsync(node, lists.Checkpoints, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var found = 0;
            foreach (var segment in lists.Segments.OrderByDescending(n => n.First))
            {
                var content = await store.ReadAsync(segment.Key, segment.VersionId, cancellationToken).ConfigureAwait(false);
                var parsed = ParseLines(content).Where(r => r.Record is not null && r.Record.Node == node).Select(r => r.Record!).Where(filter).ToList();
                all.AddRange(parsed);
                found += parsed.Count;
                if (found >= count)
                {
                    break;
                }
            }
        }

        return all.DistinctBy(r => (r.Node, r.Sequence)).OrderBy(r => r.Time).ThenBy(r => r.Node, StringComparer.Ordinal).ThenBy(r => r.Sequence)
            .TakeLast(count).ToList();
    }

    // Every key ever stored under the audit prefix, grouped by node, each named with its original version. With a problem list:
    // delete markers, further versions and keys the log never writes are reported.
    private async Task<SortedDictionary<string, (List<AuditObjectName> Segments, List<AuditObjectName> Checkpoints)>> ListNodesAsync(
        List<HdsAuditProblem>? problems, CancellationToken cancellationToken)
    {
        var byNode = new SortedDictionary<string, (List<AuditObjectName> Segments, List<AuditObjectName> Checkpoints)>(StringComparer.Ordinal);
        foreach (var history in await store.ListHistoryAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (!AuditStore.TryParse(history.Key, out var name))
            {
                problems?.Add(new HdsAuditProblem(HdsAuditProblemKind.UnexpectedObject, NodeOf(history.Key), null, "an object the audit log never writes is stored under the audit prefix"));
                continue;
            }

            var what = name.IsCheckpoint ? "checkpoint" : "segment";
            if (history.DeleteMarkers.Count > 0)
            {
                var when = string.Join(", ", history.DeleteMarkers.Select(m => m.LastModified.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
                problems?.Add(new HdsAuditProblem(HdsAuditProblemKind.ObjectHidden, name.Node, name.First,
                    $"{history.DeleteMarkers.Count} delete marker(s) hide this {what} from listings (added {when}); the log never deletes"));
            }

            if (history.Versions.Count > 1)
            {
                problems?.Add(new HdsAuditProblem(HdsAuditProblemKind.ObjectRewritten, name.Node, name.First,
                    $"{history.Versions.Count} versions are stored under this {what}'s key; the log writes each key once (the original is verified)"));
            }

            if (history.Original is not { } original)
            {
                continue; // delete markers only: nothing was ever stored there
            }

            if (!byNode.TryGetValue(name.Node, out var lists))
            {
                lists = ([], []);
                byNode[name.Node] = lists;
            }

            (name.IsCheckpoint ? lists.Checkpoints : lists.Segments).Add(name with { VersionId = original.VersionId, StoredAt = original.LastModified });
        }

        return byNode;
    }

    // Whether the node's first checkpoint (the one vouching for its first records) is signed by a trusted certificate and names it.
    private async Task<bool> IsEnrolledAsync(string node, List<AuditObjectName> checkpoints, CancellationToken cancellationToken)
    {
        if (checkpoints.Count == 0)
        {
            return false;
        }

        var first = checkpoints.MinBy(c => c.First);
        try
        {
            var checkpoint = CheckpointSigner.TryVerify(await store.ReadAsync(first.Key, first.VersionId, cancellationToken).ConfigureAwait(false), trusted, out _);
            return checkpoint is { PreviousSequence: 0 } && checkpoint.Node == node && checkpoint.Sequence == first.First;
        }
        catch (HdsStorageException)
        {
            return false;
        }
    }

    private async Task<(long Records, int Segments, int Checkpoints)> VerifyNodeAsync(
        string node, List<AuditObjectName> segmentNames, List<AuditObjectName> checkpointNames, DateTimeOffset? from, DateTimeOffset? to,
        AuditSpoolState? localState, List<HdsAuditProblem> problems, AuditSearchProgress? progress, CancellationToken cancellationToken)
    {
        // A search returns records of enrolled nodes only: a node nobody enrolled is a forged writer (reported below).
        var deliver = progress is not null && await IsEnrolledAsync(node, checkpointNames, cancellationToken).ConfigureAwait(false);
        segmentNames.Sort((a, b) => a.First != b.First ? a.First.CompareTo(b.First) : a.Last.CompareTo(b.Last));
        checkpointNames.Sort((a, b) => a.First.CompareTo(b.First));

        // The window: segments whose time range overlaps it, plus the one before (it anchors the first link).
        var firstIndex = 0;
        var lastIndex = segmentNames.Count - 1;
        if (from is { } f)
        {
            var i = segmentNames.FindIndex(s => s.LastTime >= f);
            firstIndex = i < 0 ? segmentNames.Count : Math.Max(0, i - 1);
        }

        if (to is { } t)
        {
            lastIndex = segmentNames.FindLastIndex(s => s.FirstTime <= t);
        }

        if (progress is not null)
        {
            progress.SegmentsSkipped += segmentNames.Count - Math.Max(0, Math.Min(lastIndex, segmentNames.Count - 1) - firstIndex + 1);
        }

        // Only the hashes checkpoints name are kept (a trail of millions of records stays small in memory), and the range read.
        var checkpointed = checkpointNames.Select(c => c.First).ToHashSet();
        var hashes = new Dictionary<long, string>();
        var known = (Min: long.MaxValue, Max: long.MinValue);
        long records = 0;
        var segments = 0;
        long expected = firstIndex == 0 ? 1 : -1; // -1: take the first record of the anchor segment as given
        var previousHash = firstIndex == 0 ? AuditRecordCodec.GenesisHash : null;
        for (var i = firstIndex; i <= lastIndex && i < segmentNames.Count; i++)
        {
            var name = segmentNames[i];
            byte[] content;
            try
            {
                content = await store.ReadAsync(name.Key, name.VersionId, cancellationToken).ConfigureAwait(false);
            }
            catch (HdsStorageException)
            {
                problems.Add(new HdsAuditProblem(HdsAuditProblemKind.SegmentInvalid, node, name.First, "a segment listed could not be read"));
                continue;
            }

            segments++;
            var problemsBefore = problems.Count;
            var read = progress is null ? null : new List<HdsAuditRecord>();
            long segmentFirst = -1, segmentLast = -1;
            DateTimeOffset firstTime = default, lastTime = default;
            foreach (var (record, problem) in ParseLines(content))
            {
                if (record is null)
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.RecordAltered, node, expected > 0 ? expected : null, problem!));
                    previousHash = null; // the next link cannot be checked against an altered record
                    if (expected > 0)
                    {
                        expected++;
                    }

                    continue;
                }

                records++;
                read?.Add(record);
                if (segmentFirst < 0)
                {
                    segmentFirst = record.Sequence;
                    firstTime = record.Time;
                }

                segmentLast = record.Sequence;
                lastTime = record.Time;
                if (record.Node != node)
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.ChainBroken, node, record.Sequence, "a record of another node is stored in this node's segment"));
                }

                if (expected > 0 && record.Sequence > expected)
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.RecordMissing, node, expected,
                        $"records {expected} to {record.Sequence - 1} are missing"));
                    previousHash = null;
                }
                else if (expected > 0 && record.Sequence < expected)
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.RecordReordered, node, record.Sequence,
                        $"record {record.Sequence} appears where record {expected} was expected"));
                    previousHash = null;
                }
                else if (previousHash is not null && !FixedEquals(previousHash, record.PreviousHash))
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.ChainBroken, node, record.Sequence, "the record does not link to the previous record's hash"));
                }

                if (checkpointed.Contains(record.Sequence))
                {
                    hashes[record.Sequence] = record.Hash!;
                }

                known = (Math.Min(known.Min, record.Sequence), Math.Max(known.Max, record.Sequence));
                previousHash = record.Hash;
                expected = Math.Max(expected, record.Sequence + 1);
            }

            if (segmentFirst != name.First || segmentLast != name.Last
                || firstTime.ToUnixTimeMilliseconds() != name.FirstTime.ToUnixTimeMilliseconds()
                || lastTime.ToUnixTimeMilliseconds() != name.LastTime.ToUnixTimeMilliseconds())
            {
                problems.Add(new HdsAuditProblem(HdsAuditProblemKind.SegmentInvalid, node, name.First, "the segment's name does not match its records"));
            }

            if (progress is not null)
            {
                var verified = problems.Count == problemsBefore;
                progress.Segments.Add(new HdsAuditSegmentInfo(node, name.Key, name.First, name.Last, name.FirstTime, name.LastTime,
                    Convert.ToHexStringLower(SHA256.HashData(content)), verified));
                progress.BytesRead += content.Length;
                progress.RecordsScanned += read!.Count;
                if (verified && deliver)
                {
                    foreach (var record in read)
                    {
                        if (progress.Query.Matches(record))
                        {
                            await progress.Deliver(record, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
            }
        }

        var lastStored = segmentNames.Count > 0 ? segmentNames.Max(s => s.Last) : 0;
        var (checkpoints, coveredThrough, enrolled) = await VerifyCheckpointsAsync(node, checkpointNames, hashes, known, lastStored, problems, progress, cancellationToken).ConfigureAwait(false);
        if (!enrolled && (segmentNames.Count > 0 || checkpointNames.Count > 0))
        {
            problems.Add(new HdsAuditProblem(HdsAuditProblemKind.NodeNotEnrolled, node, 1,
                "no checkpoint signed by a trusted certificate vouches for this node's first records: a writer nobody enrolled"));
        }

        // A segment left uncovered longer than the grace period: whoever stored it had no trusted signer (or it was added to the chain).
        var now = time.GetUtcNow();
        for (var i = firstIndex; i <= lastIndex && i < segmentNames.Count; i++)
        {
            var name = segmentNames[i];
            if (name.Last > coveredThrough && name.StoredAt < now - checkpointGrace)
            {
                problems.Add(new HdsAuditProblem(HdsAuditProblemKind.CheckpointMissing, node, name.First,
                    $"records {name.First} to {name.Last}, stored more than {checkpointGrace.TotalMinutes:0.#} minutes ago, are covered by no signed checkpoint"));
            }
        }

        if (localState is not null && localState.UploadedSequence > lastStored)
        {
            problems.Add(new HdsAuditProblem(HdsAuditProblemKind.TailMissing, node, lastStored + 1,
                $"this node uploaded records through {localState.UploadedSequence} but the storage holds them only through {lastStored}"));
        }

        if (localState is not null && localState.CheckpointSequence > 0 && !checkpointNames.Any(c => c.First == localState.CheckpointSequence))
        {
            problems.Add(new HdsAuditProblem(HdsAuditProblemKind.TailMissing, node, localState.CheckpointSequence, "this node's last checkpoint is no longer stored"));
        }

        return (records, segments, checkpoints);
    }

    // Returns how many checkpoints were verified, the last sequence a valid checkpoint covers, and whether the node is enrolled
    // (its first checkpoint is valid, trusted and starts the checkpoint chain). The first and last checkpoints are always read.
    private async Task<(int Verified, long CoveredThrough, bool Enrolled)> VerifyCheckpointsAsync(
        string node, List<AuditObjectName> names, Dictionary<long, string> hashes, (long Min, long Max) known, long lastStored, List<HdsAuditProblem> problems, AuditSearchProgress? progress,
        CancellationToken cancellationToken)
    {
        var verified = 0;
        long coveredThrough = 0;
        var enrolled = false;
        long previousSequence = 0;
        string? previousObjectHash = null;
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];

            // Checkpoints outside the window are read only when they anchor the next one in it, or are the first or the last.
            var inWindow = name.First >= known.Min && name.First <= known.Max;
            var anchorsNext = i + 1 < names.Count && names[i + 1].First >= known.Min && names[i + 1].First <= known.Max;
            if (!inWindow && !anchorsNext && i != 0 && i != names.Count - 1)
            {
                previousObjectHash = null;
                previousSequence = name.First;
                continue;
            }

            byte[] content;
            try
            {
                content = await store.ReadAsync(name.Key, name.VersionId, cancellationToken).ConfigureAwait(false);
            }
            catch (HdsStorageException)
            {
                problems.Add(new HdsAuditProblem(HdsAuditProblemKind.CheckpointInvalid, node, name.First, "a checkpoint listed could not be read"));
                previousObjectHash = null;
                continue;
            }

            var checkpoint = CheckpointSigner.TryVerify(content, trusted, out var problem);
            var objectHash = Convert.ToHexStringLower(SHA256.HashData(content));
            progress?.Checkpoints.Add(new HdsAuditCheckpointInfo(node, name.First, name.Key, objectHash, checkpoint?.Time, checkpoint is not null));
            if (checkpoint is null)
            {
                problems.Add(new HdsAuditProblem(HdsAuditProblemKind.CheckpointInvalid, node, name.First, problem!));
                previousObjectHash = null;
                previousSequence = name.First;
                continue;
            }

            var matches = checkpoint.Node == node && checkpoint.Sequence == name.First;
            if (matches)
            {
                coveredThrough = Math.Max(coveredThrough, checkpoint.Sequence);
                enrolled |= i == 0 && checkpoint.PreviousSequence == 0;
            }

            if (inWindow || i == 0 || i == names.Count - 1)
            {
                verified++;
                if (!matches)
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.CheckpointMismatch, node, name.First, "the checkpoint names another node or sequence"));
                }
                else if (hashes.TryGetValue(checkpoint.Sequence, out var head) && !FixedEquals(head, checkpoint.HeadHash))
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.CheckpointMismatch, node, name.First, "the checkpoint's head hash differs from the stored record's"));
                }

                if (i > 0 && (checkpoint.PreviousSequence != previousSequence
                    || (previousObjectHash is not null && !FixedEquals(previousObjectHash, checkpoint.PreviousCheckpointHash))))
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.CheckpointMismatch, node, name.First, "the checkpoint does not link to the previous stored checkpoint"));
                }
                else if (i == 0 && checkpoint.PreviousSequence != 0)
                {
                    problems.Add(new HdsAuditProblem(HdsAuditProblemKind.CheckpointMismatch, node, name.First, "earlier checkpoints are missing"));
                }
            }

            previousObjectHash = objectHash;
            previousSequence = name.First;
        }

        if (names.Count > 0 && names[^1].First > lastStored)
        {
            problems.Add(new HdsAuditProblem(HdsAuditProblemKind.TailMissing, node, lastStored + 1,
                $"the last checkpoint attests records through {names[^1].First} but the storage holds them only through {lastStored}"));
        }

        return (verified, coveredThrough, enrolled);
    }

    internal static IEnumerable<(HdsAuditRecord? Record, string? Problem)> ParseLines(byte[] content)
    {
        var start = 0;
        while (start < content.Length)
        {
            var nl = Array.IndexOf(content, (byte)'\n', start);
            if (nl < 0)
            {
                yield return (null, "the segment ends with an incomplete record");
                yield break;
            }

            var record = AuditRecordCodec.TryParse(content.AsSpan(start, nl - start), out var problem);
            yield return (record, problem);
            start = nl + 1;
        }
    }

    private static bool FixedEquals(string a, string? b) =>
        b is not null && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));

    private static string NodeOf(string key)
    {
        var rest = key.Length > AuditStore.Prefix.Length ? key[AuditStore.Prefix.Length..] : string.Empty;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? rest[..slash] : "?";
    }
}
