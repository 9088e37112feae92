using System.Diagnostics;
using Hds.Storage.Models;

namespace Hds.Storage.Access;

/// <summary>
/// One operation in progress, passed as a parameter from the client through its cores, the lock, key-ring and audit stores, to
/// the backend (issue 15: it replaces the AsyncLocal <c>OperationScope</c>). It holds who acts and why (the validated access
/// context), the audit node, the operation, its activity, and, for its audit record, what the storage answered while it ran;
/// the S3 backend puts the pseudonymous context headers of each request it sends from it, a resumed read's included.
/// A system operation (the audit uploads, the key ring's own loads and writes) has a context of its own, with the SDK's
/// service actor and no <see cref="Operation"/>.
/// </summary>
internal sealed class OperationContext
{
    private OperationContext(HdsAccessContext access, string node, HdsOperation? operation, string name, Activity? activity)
    {
        Access = access;
        Node = node;
        Operation = operation;
        Name = name;
        Activity = activity;
    }

    /// <summary>Who acts, for which tenant and why: validated (and, for a client operation, authorized) before the context exists.</summary>
    public HdsAccessContext Access { get; }

    /// <summary>The audit node (writer chain) recording the operation; "-" when there is none.</summary>
    public string Node { get; }

    /// <summary>The client operation; null for a system operation.</summary>
    public HdsOperation? Operation { get; }

    /// <summary>The operation's name as the storage sees it (the <c>x-hds-operation</c> header): "Put", "Get", "AuditUpload"…</summary>
    public string Name { get; }

    /// <summary>The operation's activity (trace span), when someone listens.</summary>
    public Activity? Activity { get; }

    /// <summary>The site that stored the write, or served the read's first bytes, as the backend's result named it.</summary>
    public string? Site { get; private set; }

    /// <summary>The write's answer was lost and the retry found the version it had stored (no second version written).</summary>
    public bool FoundAfterLostAnswer { get; private set; }

    /// <summary>The write's intent announced in the audit spool (completed once the write's record is durable).</summary>
    public string? IntentId { get; set; }

    /// <summary>The version a write stored (named by its record even when the write then fails).</summary>
    public string? WrittenVersionId { get; set; }

    /// <summary>A client operation under a validated context.</summary>
    public static OperationContext For(HdsAccessContext access, string node, HdsOperation operation, Activity? activity = null) =>
        new(access, node, operation, operation.ToString(), activity);

    /// <summary>A system operation of the library itself (the audit uploads, the key ring's loads and writes).</summary>
    public static OperationContext ForSystem(HdsAccessContext access, string node, string name) => new(access, node, null, name, null);

    /// <summary>Notes, from a backend result, the site that stored a write or served a read (and whether a lost answer was found).</summary>
    public void NoteSite(string? site, bool foundAfterLostAnswer = false)
    {
        Site = site;
        FoundAfterLostAnswer |= foundAfterLostAnswer;
    }
}
