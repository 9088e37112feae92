namespace Hds.Storage;

/// <summary>The operation was refused because the version is protected by retention or legal hold.</summary>
public sealed class HdsObjectLockedException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsObjectLockedException(string message, Exception? innerException = null)
        : base(HdsErrorCode.ObjectLocked, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsObjectLockedException()
        : this("The version is protected by retention or legal hold.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsObjectLockedException(string message)
        : this(message, null)
    {
    }
}
