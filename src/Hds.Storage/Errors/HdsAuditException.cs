namespace Hds.Storage;

/// <summary>
/// The audit record of an operation could not be made durable, so the operation is refused (fail-closed). When the operation
/// had already changed the storage (a write completed), the change stays and this exception says so: no receipt is returned.
/// </summary>
public sealed class HdsAuditException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsAuditException(string message, Exception? innerException = null)
        : base(HdsErrorCode.AuditUnavailable, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsAuditException()
        : this("The audit record could not be made durable; the operation was refused.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsAuditException(string message)
        : this(message, null)
    {
    }
}
