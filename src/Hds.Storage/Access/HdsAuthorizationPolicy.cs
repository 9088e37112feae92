namespace Hds.Storage;

/// <summary>
/// Decides every operation of the client before any I/O (list, head, versions, legal hold, retention, keys and audit reads
/// included). Derive from <see cref="HdsDefaultAuthorizationPolicy"/> to add rules and call the base to keep tenant isolation
/// and the purpose allow-list. A denial throws <see cref="HdsAccessDeniedException"/> and leaves an audit record.
/// </summary>
public abstract class HdsAuthorizationPolicy
{
    /// <summary>Decides one operation.</summary>
    /// <param name="request">The operation, its validated context and the resource.</param>
    /// <param name="cancellationToken">Cancels the decision.</param>
    /// <returns>Allow, or deny with a reason code.</returns>
    public abstract ValueTask<HdsAuthorizationDecision> AuthorizeAsync(HdsAuthorizationRequest request, CancellationToken cancellationToken);
}
