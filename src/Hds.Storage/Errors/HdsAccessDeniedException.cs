namespace Hds.Storage;

/// <summary>The operation was refused by the access policy or by the storage's credentials.</summary>
public sealed class HdsAccessDeniedException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsAccessDeniedException(string message, Exception? innerException = null)
        : base(HdsErrorCode.AccessDenied, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsAccessDeniedException()
        : this("Access denied.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsAccessDeniedException(string message)
        : this(message, null)
    {
    }
}
