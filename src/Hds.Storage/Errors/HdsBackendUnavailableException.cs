namespace Hds.Storage;

/// <summary>No storage site answered in time; nothing partial was left behind.</summary>
public sealed class HdsBackendUnavailableException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsBackendUnavailableException(string message, Exception? innerException = null)
        : base(HdsErrorCode.BackendUnavailable, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsBackendUnavailableException()
        : this("No storage site is available.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsBackendUnavailableException(string message)
        : this(message, null)
    {
    }
}
