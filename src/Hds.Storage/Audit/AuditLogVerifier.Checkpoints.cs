using System.Security.Cryptography;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

// One node's signed checkpoints: each verified, matched to the record it names and linked to the one before.
internal sealed partial class AuditLogVerifier
{
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
}
