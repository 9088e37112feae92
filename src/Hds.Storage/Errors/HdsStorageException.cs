namespace Hds.Storage;

/// <summary>
/// The one exception type of Hds.Storage. Subtypes exist only where callers branch on them; <see cref="ErrorCode"/> says the kind.
/// Messages say what to do and never contain health data, object content or key material.
/// </summary>
public class HdsStorageException : Exception
{
    /// <summary>Creates an exception of the given kind.</summary>
    /// <param name="errorCode">The kind of failure.</param>
    /// <param name="message">What happened and what to do, without sensitive values.</param>
    /// <param name="innerException">The underlying failure, if any.</param>
    public HdsStorageException(HdsErrorCode errorCode, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
    }

    /// <summary>Creates an exception of kind <see cref="HdsErrorCode.Unknown"/>.</summary>
    public HdsStorageException()
        : this(HdsErrorCode.Unknown, "The storage operation failed.")
    {
    }

    /// <summary>Creates an exception of kind <see cref="HdsErrorCode.Unknown"/>.</summary>
    /// <param name="message">What happened.</param>
    public HdsStorageException(string message)
        : this(HdsErrorCode.Unknown, message)
    {
    }

    /// <summary>Creates an exception of kind <see cref="HdsErrorCode.Unknown"/>.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The underlying failure.</param>
    public HdsStorageException(string message, Exception? innerException)
        : this(HdsErrorCode.Unknown, message, innerException)
    {
    }

    /// <summary>The kind of failure.</summary>
    public HdsErrorCode ErrorCode { get; }
}
