using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage.Models;

/// <summary>One problem found by audit verification.</summary>
public sealed record HdsAuditProblem
{
    /// <summary>Creates an empty HdsAuditProblem, to fill with an object initializer.</summary>
    public HdsAuditProblem()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsAuditProblem(HdsAuditProblemKind kind, string node, long? sequence, string description)
    {
        Kind = kind;
        Node = node;
        Sequence = sequence;
        Description = description;
    }

    /// <summary>What is wrong.</summary>
    public required HdsAuditProblemKind Kind { get; init; }

    /// <summary>The writer chain concerned.</summary>
    public required string Node { get; init; }

    /// <summary>The record sequence concerned, when one is.</summary>
    public long? Sequence { get; init; }

    /// <summary>What was found, without record content.</summary>
    public required string Description { get; init; }
}
