using System.Security.Cryptography;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

// One node's trail: its segments in the window read and chained record by record, checkpoint coverage, and this writer's tail.
internal sealed partial class AuditLogVerifier
{
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

        // What the listing promises to sign: a segment past the last checkpoint listed is vouched for by no signature. Within the grace
        // period it may be the writer's newest upload (returned, marked as awaiting, unless the query wants signed records only); after
        // it, nothing will vouch for it (CheckpointMissing below) and its records are not returned. Checked before records are delivered,
        // because a holder of the bucket's credentials can extend the unkeyed chain with records of their own.
        var listedCoverage = checkpointNames.Count > 0 ? checkpointNames[^1].First : 0;
        var now = time.GetUtcNow();
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
                var unsigned = name.Last > listedCoverage;
                var awaiting = unsigned && name.StoredAt >= now - checkpointGrace;
                progress.Segments.Add(new HdsAuditSegmentInfo(node, name.Key, name.First, name.Last, name.FirstTime, name.LastTime,
                    Convert.ToHexStringLower(SHA256.HashData(content)), verified) { AwaitingCheckpoint = awaiting });
                progress.BytesRead += content.Length;
                progress.RecordsScanned += read!.Count;
                if (verified && deliver && (!unsigned || (awaiting && !progress.Query.SignedOnly)))
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
}
