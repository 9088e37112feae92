namespace Hds.Storage;

/// <summary>The request is invalid (object key, version, date, range); nothing was read or written.</summary>
public sealed class HdsInvalidRequestException : HdsStorageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsInvalidRequestException(string message, Exception? innerException = null)
        : base(HdsErrorCode.InvalidRequest, message, innerException)
    {
    }

    /// <summary>Creates the exception with a default message.</summary>
    public HdsInvalidRequestException()
        : this("The request is invalid.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened and what to do.</param>
    public HdsInvalidRequestException(string message)
        : this(message, null)
    {
    }
}
