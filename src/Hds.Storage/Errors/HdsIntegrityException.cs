namespace Hds.Storage;

/// <summary>The data read is not the data written: content, digest or metadata failed verification. No unverified content was returned.</summary>
public sealed class HdsIntegrityException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsIntegrityException(string message, Exception? innerException = null)
        : base(HdsErrorCode.Integrity, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsIntegrityException()
        : this("Integrity verification failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsIntegrityException(string message)
        : this(message, null)
    {
    }
}
