namespace Hds.Storage.Models;

/// <summary>One problem found by audit verification.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Node">The writer chain concerned.</param>
/// <param name="Sequence">The record sequence concerned, when one is.</param>
/// <param name="Description">What was found, without record content.</param>
public sealed record HdsAuditProblem(HdsAuditProblemKind Kind, string Node, long? Sequence, string Description);
