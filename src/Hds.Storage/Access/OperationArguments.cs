namespace Hds.Storage.Access;

/// <summary>
/// The arguments of an operation that its authorization and audit record need besides the key and version: copied into the
/// <see cref="HdsAuthorizationRequest"/> so a policy can decide on them.
/// </summary>
internal sealed record OperationArguments
{
    /// <summary>The key-encryption key named (revocation).</summary>
    public string? KeyId { get; init; }

    /// <summary>The legal-hold state asked for.</summary>
    public bool? LegalHold { get; init; }

    /// <summary>The retain-until date asked for.</summary>
    public DateTimeOffset? RetainUntil { get; init; }
}
