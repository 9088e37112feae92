using Hds.Storage.Pipeline;

namespace Hds.Storage.Models;

/// <summary>The result of verifying the audit trail.</summary>
public sealed record HdsAuditVerificationResult : IOperationResult
{
    /// <summary>Whether no problem was found.</summary>
    public bool IsValid => Problems.Count == 0;

    /// <summary>The writer chains verified.</summary>
    public required IReadOnlyList<string> Nodes { get; init; }

    /// <summary>How many records were verified.</summary>
    public required long RecordsVerified { get; init; }

    /// <summary>How many segments were verified.</summary>
    public required int SegmentsVerified { get; init; }

    /// <summary>How many signed checkpoints were verified.</summary>
    public required int CheckpointsVerified { get; init; }

    /// <summary>Every problem found; empty when the trail verifies.</summary>
    public required IReadOnlyList<HdsAuditProblem> Problems { get; init; }

    // A trail found not intact is the verification's integrity failure (traced and counted as one), although it ran to its end.
    bool IOperationResult.IsIntegrityFailure => !IsValid;
}
